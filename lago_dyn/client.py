"""`Client`: the state of one API connection (spec, base URL, credentials, transport, validators) and the
pipeline of a call: bind arguments -> build and validate the request -> send -> check the answer.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

import requests

from . import binding, responses
from .errors import LagoDynError, OperationNotFoundError, WebhookValidationError
from .loader import DEFAULT_LOAD_TIMEOUT, SpecSource, load_document
from .models import ApiObject, ApiResponse, parse_json
from .request_builder import build_request
from .spec import Operation, Spec
from .transport import DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT, RequestsTransport, RetryPolicy, Transport, WireRequest
from .validation import SchemaValidators

log = logging.getLogger("lago_dyn")

API_KEY_ENV = "LAGO_API_KEY"
USER_AGENT = "lago-dyn/0.1"


def default_spec_path() -> Path:
    """The Customers API spec the project ships: inside the installed package, or beside it in a
    source checkout."""
    here = Path(__file__).resolve().parent
    for folder in (here / "spec", here.parent / "spec"):
        candidate = folder / "lago-customers.yaml"
        if candidate.is_file():
            return candidate
    raise LagoDynError("the default spec (spec/lago-customers.yaml) is not installed; pass spec=...")


def load_spec(
    source: SpecSource | None = None,
    *,
    cache_dir: str | os.PathLike | None | bool = None,
    timeout: float = DEFAULT_LOAD_TIMEOUT,
    allow_remote_refs: bool = False,
    overlays: Sequence[Any] | None = None,
) -> Spec:
    """Load and index a spec once, to share it between clients (validators compile once per Spec).
    `overlays`: Overlay documents (paths, dicts, or shipped names like "lago-fixes") applied in order."""
    return Spec(load_document(source if source is not None else default_spec_path(), cache_dir=cache_dir,
                              timeout=timeout, allow_remote_refs=allow_remote_refs, overlays=overlays))


class Client:
    """A client for the API a spec describes. Every operation is a method, flat (`client.create_customer`)
    and by tag (`client.customers.create_customer`); `client.webhooks.<name>(payload)` checks a webhook
    payload received from the API.

    `response_validation` is "strict" (raise ResponseValidationError), "warn" (log and return) or "off".
    """

    def __init__(
        self,
        spec: SpecSource | Spec | None = None,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        session: requests.Session | None = None,
        headers: Mapping[str, str] | None = None,
        response_validation: str = responses.STRICT,
        request_validation: bool = True,
        retry: RetryPolicy | None = None,
        transport: Transport | None = None,
        verify: bool | str = True,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        cache_dir: str | os.PathLike | None | bool = None,
        allow_remote_refs: bool = False,
        on_event: Callable[[dict[str, Any]], None] | None = None,
        overlays: Sequence[Any] | None = None,
    ):
        if response_validation not in responses.VALIDATION_MODES:
            raise ValueError(f"response_validation must be one of {responses.VALIDATION_MODES}, "
                             f"not {response_validation!r}")
        self.spec = spec if isinstance(spec, Spec) else load_spec(spec, cache_dir=cache_dir,
                                                                   allow_remote_refs=allow_remote_refs,
                                                                   overlays=overlays)
        self.base_url = (base_url or self._first_server()).rstrip("/")
        self.response_validation = response_validation
        self.request_validation = request_validation
        #: Called with {"event": "request" | "response", "operation", "method", "path", ...}: for progress
        #: bars and metrics. Never given headers, query values or the API key.
        self.on_event = on_event
        self._api_key = api_key if api_key is not None else os.environ.get(API_KEY_ENV) or None
        self._headers = {"User-Agent": USER_AGENT, **(headers or {})}
        self._transport: Transport = transport or RequestsTransport(
            session=session or requests.Session(), timeout=timeout, retry=retry or RetryPolicy(),
            verify=verify, owns_session=session is None, max_response_bytes=max_response_bytes,
        )
        self._validators = SchemaValidators(self.spec)
        self._credentials: dict[str, tuple[dict[str, str], str]] = {}
        self.operations: dict[str, Callable[..., Any]] = {
            name: binding.make_function(operation, self._invoke) for name, operation in self.spec.operations.items()
        }
        self._groups = binding.tag_groups(self.spec, self.operations)
        self.webhooks = WebhookGroup(self.spec, self._validators, self._groups.get("webhooks"))

    # -- namespace -------------------------------------------------------------------------------------

    def __getattr__(self, name: str) -> Any:
        # Only reached for names that are not attributes of the client itself.
        if name.startswith("__"):
            raise AttributeError(name)
        groups = self.__dict__.get("_groups", {})
        if name in groups:
            return groups[name]
        operations = self.__dict__.get("operations", {})
        if name in operations:
            return operations[name]
        raise OperationNotFoundError(
            f"{self.spec.title} has no operation or tag {name!r}{binding._did_you_mean(name, [*operations, *groups])}"
        )

    def __dir__(self) -> list[str]:
        own = [name for name in type(self).__dict__ if not name.startswith("_")]
        return sorted({*own, "operations", "webhooks", "spec", "base_url", *self._groups, *self.operations})

    def operation(self, name: str) -> Callable[..., Any]:
        """An operation by Python name or operationId (`create_customer` or `createCustomer`)."""
        if name in self.operations:
            return self.operations[name]
        for function in self.operations.values():
            if function.operation.operation_id == name:  # type: ignore[attr-defined]
                return function
        raise OperationNotFoundError(f"{self.spec.title} has no operation {name!r}"
                                     f"{binding._did_you_mean(name, self.operations)}")

    def paginate(self, operation: str, /, *args: Any, **kwargs: Any) -> Iterator[Any]:
        """Every item of a Lago list endpoint, page after page, fetched lazily:
        `for customer in client.paginate("find_all_customers", per_page=100): ...`

        Lago list answers hold one array (`customers`, `invoices`, ...) and a `meta` with `next_page`."""
        function = self.operation(operation)
        page = kwargs.pop("page", None) or 1
        while True:
            result = function(*args, page=page, **kwargs)
            arrays = [value for key, value in result.items() if key != "meta" and isinstance(value, list)]
            if len(arrays) != 1:
                raise LagoDynError(f"{operation}: not a paginated list answer (expected one array beside 'meta')")
            yield from arrays[0]
            next_page = (result.get("meta") or {}).get("next_page")
            if not next_page or not arrays[0]:
                return
            page = next_page

    @property
    def tags(self) -> dict[str, binding.OperationGroup]:
        return dict(self._groups)

    def __repr__(self) -> str:
        return (f"<lago_dyn.Client {self.spec.title!r} {self.spec.root.get('info', {}).get('version', '')} "
                f"at {self.base_url}: {len(self.operations)} operations>")

    # -- lifecycle -------------------------------------------------------------------------------------

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    # -- a call ----------------------------------------------------------------------------------------

    def _invoke(self, operation: Operation, arguments: dict, options: dict) -> ApiResponse:
        built = build_request(operation, arguments, self._validators if self.request_validation else None)
        auth_headers, auth_query = self._credentials_for(operation)
        query = "&".join(part for part in (built.query, auth_query) if part)
        url = self.base_url + built.path + (f"?{query}" if query else "")
        headers = {"Accept": operation.accept, **self._headers, **built.headers, **auth_headers, **(options.get("_headers") or {})}
        started = time.perf_counter()
        if self.on_event is not None:
            self.on_event({"event": "request", "operation": operation.name, "method": built.method, "path": built.path})
        wire = self._transport.send(WireRequest(built.method, url, headers, built.body, options.get("_request_timeout")))
        elapsed_ms = (time.perf_counter() - started) * 1000
        if self.on_event is not None:
            self.on_event({"event": "response", "operation": operation.name, "method": built.method,
                           "path": built.path, "status": wire.status, "elapsed_ms": elapsed_ms})
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s %s -> %s in %.1f ms", built.method, built.path, wire.status, elapsed_ms)
        return responses.handle(operation, wire, self._validators, self.response_validation)

    def _credentials_for(self, operation: Operation) -> tuple[dict[str, str], str]:
        """Headers and query to authenticate an operation, from its security requirements."""
        cached = self._credentials.get(operation.name)
        if cached is None:
            cached = self._credentials[operation.name] = _credentials(self.spec, operation.security, self._api_key)
        return cached

    def _first_server(self) -> str:
        servers = self.spec.root.get("servers") or [{"url": "/"}]
        server = servers[0]
        url = str(server.get("url", "/"))
        for name, variable in (server.get("variables") or {}).items():
            url = url.replace("{" + name + "}", str(variable.get("default", "")))
        return url


def _credentials(spec: Spec, security: list | None, api_key: str | None) -> tuple[dict[str, str], str]:
    if not api_key or not security:
        return {}, ""
    schemes = (spec.root.get("components") or {}).get("securitySchemes") or {}
    for requirement in security:
        headers: dict[str, str] = {}
        query = ""
        for name in requirement or {}:
            scheme, _ = spec.resolve(schemes.get(name) or {}, spec.base_uri)
            kind = scheme.get("type")
            if kind == "http" and str(scheme.get("scheme", "")).lower() == "bearer":
                headers["Authorization"] = f"Bearer {api_key}"
            elif kind == "apiKey" and scheme.get("in") == "header":
                headers[str(scheme["name"])] = api_key
            elif kind == "apiKey" and scheme.get("in") == "query":
                from urllib.parse import quote

                query = f"{quote(str(scheme['name']))}={quote(api_key, safe='')}"
            else:
                break  # a scheme we cannot satisfy with an API key: try the next requirement
        else:
            if headers or query:
                return headers, query
    return {}, ""


class WebhookGroup:
    """The spec's webhooks: `client.webhooks.invoice_created(payload)` checks a payload Lago sent you
    against the spec and returns it as an ApiObject, or raises WebhookValidationError. Lago also has a
    `webhooks` tag (`fetch_public_key`, ...): its operations are reachable here too."""

    def __init__(self, spec: Spec, validators: SchemaValidators, tag_group: Any = None):
        self._spec = spec
        self._validators = validators
        self._tag_group = tag_group

    def _check(self, name: str, payload: Any) -> Any:
        from .validation import WRITE

        operation = self._spec.webhooks[name]
        data = parse_json(payload) if isinstance(payload, (bytes, str)) else payload
        body = operation.body
        if body is not None and body.schema_uri is not None:
            violations = self._validators.violations(body.schema_uri, data, "body", WRITE)
            if violations:
                raise WebhookValidationError(operation.label, violations)
        return data if isinstance(data, ApiObject) else parse_json(json.dumps(data))

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if not name.startswith("_") and name not in self._spec.webhooks and name in dir(self._tag_group):
            return getattr(self._tag_group, name)
        if name.startswith("_") or name not in self._spec.webhooks:
            raise OperationNotFoundError(f"{self._spec.title} has no webhook {name!r}"
                                         f"{binding._did_you_mean(name, self._spec.webhooks)}")
        operation = self._spec.webhooks[name]

        def check(payload: Any) -> Any:
            return self._check(name, payload)

        check.__name__ = check.__qualname__ = name
        check.__doc__ = f"{operation.summary}\n\n{operation.description}\n\nValidates a received payload."
        return check

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._spec.webhooks))

    def __len__(self) -> int:
        return len(self._spec.webhooks)

    def __dir__(self) -> list[str]:
        return sorted({*self._spec.webhooks, *(dir(self._tag_group) if self._tag_group is not None else ())})

    def __repr__(self) -> str:
        return f"<webhooks: {len(self)} payload checkers>"
