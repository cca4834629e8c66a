"""`Client`: a thin facade over the call pipeline. It holds one connection's state (spec, base URL,
credentials, transport) and makes a call as: fetch tokens if needed -> `pipeline.prepare` -> transport
send -> `pipeline.handle`. Everything that is not sending lives in the pure steps, so another facade needs
nothing but its own send loop.
"""

from __future__ import annotations

import logging
import os
import time
import weakref
from typing import Any, Callable, Iterator, Mapping, Sequence
from urllib.parse import urlsplit

import requests

from . import binding, pipeline
from .auth import Credential, Credentials
from .errors import ConfigurationError, OperationNotFoundError
from .lago import FULL_SPEC_HINT, LAGO, default_spec_path
from .loader import DEFAULT_LOAD_TIMEOUT, SpecSource, load_document
from .models import ApiResponse
from .suggest import did_you_mean
from .profile import Profile
from .spec import Operation, Spec
from .transport import DEFAULT_POOL_MAXSIZE, RequestsTransport, Transport
from .webhooks import WebhookGroup
from .wire import DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT, RetryPolicy

log = logging.getLogger("lago_dyn")

USER_AGENT = "lago-dyn/0.1"


def load_spec(
    source: SpecSource | None = None,
    *,
    cache_dir: str | os.PathLike | None | bool = None,
    timeout: float = DEFAULT_LOAD_TIMEOUT,
    allow_remote_refs: bool = False,
    ref_root: str | os.PathLike | None = None,
    base_uri: str | None = None,
    session: requests.Session | None = None,
    verify: bool | str = True,
    overlays: Sequence[Any] | None = None,
) -> Spec:
    """Load and index a spec once, to share it between clients (validators compile once per Spec).

    URLs are fetched with `session` (the user's proxies and certificates apply) and `verify`. `$ref`s may
    leave the spec's folder only to files under `ref_root`; a dict source resolves its relative `$ref`s
    against `base_uri`. `overlays`: Overlay documents (paths, dicts, or shipped names like "lago-fixes")
    applied in order.

    The same content (with the same overlays, place and options) loaded again in this process gives the
    same `Spec`, its compiled validators included; `cache_dir=False` gives a fresh one."""
    loaded = load_document(source if source is not None else default_spec_path(), cache_dir=cache_dir,
                           timeout=timeout, allow_remote_refs=allow_remote_refs, ref_root=ref_root,
                           base_uri=base_uri, session=session, verify=verify, overlays=overlays)
    if loaded.spec is None:
        loaded.spec = Spec(loaded)
    return loaded.spec


class Client:
    """A client for the API a spec describes. Every operation is a method, flat (`client.create_customer`)
    and by tag (`client.customers.create_customer`); `client.webhooks.<name>(payload)` checks a webhook
    payload received from the API.

    Credentials: `api_key=` (else the profile's environment variable, `LAGO_API_KEY` for Lago) fills
    every scheme that takes one secret string; `auth={scheme name: credential}` names them one by one
    (a str token, a (user, password) pair for http basic, a callable returning a token, or
    `OAuth2ClientCredentials`).

    `typed_results=True` gives `datetime`, `date`, `UUID` and `Decimal` values where the answer's schema
    says `date-time`, `date`, `uuid` or `decimal` (`to_dict()` gives back the JSON the server sent).

    Body keys the schema does not declare are silently dropped by Lago: `unknown_fields="warn"` (default:
    an `UnknownFieldsWarning` naming each, with "did you mean"), `"error"` (a RequestValidationError,
    nothing sent) or `"ignore"`.

    `timeout` is (connect, read) seconds for each wait; `deadline` bounds a whole call, retries and
    redirects included (default: connect + 2 x read, 65 s).

    `response_validation` is "strict" (raise ResponseValidationError), "warn" (log and return) or "off",
    or a mapping by operation name with a "default". String formats are checked on requests
    (`check_formats="requests"`, the default), on both (`"both"`) or not at all (`"none"`).
    """

    def __init__(
        self,
        spec: SpecSource | Spec | None = None,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        auth: Mapping[str, Credential] | None = None,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        deadline: float | None = None,
        session: requests.Session | None = None,
        headers: Mapping[str, str] | None = None,
        response_validation: str | Mapping[str, str] = pipeline.STRICT,
        request_validation: bool = True,
        check_formats: str = "requests",
        typed_results: bool = False,
        unknown_fields: str = "warn",
        retry: RetryPolicy | None = None,
        transport: Transport | None = None,
        verify: bool | str = True,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        pool_maxsize: int = DEFAULT_POOL_MAXSIZE,
        cache_dir: str | os.PathLike | None | bool = None,
        allow_remote_refs: bool = False,
        ref_root: str | os.PathLike | None = None,
        profile: Profile = LAGO,
        on_event: Callable[[dict[str, Any]], None] | None = None,
        overlays: Sequence[Any] | None = None,
    ):
        if check_formats not in ("requests", "both", "none"):
            raise ConfigurationError(f"check_formats must be 'requests', 'both' or 'none', not {check_formats!r}")
        if unknown_fields not in ("warn", "error", "ignore"):
            raise ConfigurationError(f"unknown_fields must be 'warn', 'error' or 'ignore', not {unknown_fields!r}")
        modes = pipeline.response_modes(response_validation)
        self.spec = spec if isinstance(spec, Spec) else load_spec(
            spec, cache_dir=cache_dir, allow_remote_refs=allow_remote_refs, ref_root=ref_root, session=session,
            verify=verify, overlays=overlays)
        self.base_url = _checked_base_url(base_url or _first_server(self.spec))
        self.profile = profile
        if api_key is None and profile.api_key_env:
            api_key = os.environ.get(profile.api_key_env) or None
        source = f"api_key= (or set {profile.api_key_env})" if profile.api_key_env else "api_key="
        try:
            credentials = Credentials(self.spec.security_schemes, auth, api_key, source)
        except ValueError as error:
            raise ConfigurationError(str(error)) from None
        settings = pipeline.Settings(
            spec=self.spec, base_url=self.base_url, credentials=credentials, profile=profile,
            headers={"User-Agent": USER_AGENT, **(headers or {})}, request_validation=request_validation,
            response_validation=modes, request_formats=check_formats != "none",
            response_formats=check_formats == "both", typed_results=typed_results, unknown_fields=unknown_fields,
        )
        self._calls = _Calls(settings, transport or RequestsTransport(
            session, timeout=timeout, retry=retry, verify=verify, max_response_bytes=max_response_bytes,
            pool_maxsize=pool_maxsize, deadline=deadline,
        ), on_event)
        # Closed when the client is collected too. Not a cycle's member (the operations reach `_calls`, not
        # the client), a dropped client goes at once; an operation kept beyond it still works, on new
        # connections (a closed requests session reconnects).
        self._finalizer = weakref.finalize(self, self._calls.transport.close)
        self.operations: dict[str, Callable[..., Any]] = {
            name: binding.make_function(operation, self._calls.invoke, self.spec)
            for name, operation in self.spec.operations.items()
        }
        self._groups = binding.tag_groups(self.spec, self.operations)
        self.webhooks = WebhookGroup(self.spec, self._groups.get("webhooks"))

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
            f"{self.spec.title} has no operation or tag {name!r}{did_you_mean(name, [*operations, *groups])}"
            f"{self._default_spec_hint()}"
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
                                     f"{did_you_mean(name, self.operations)}{self._default_spec_hint()}")

    def _default_spec_hint(self) -> str:
        origin = self.spec.base_uri
        return f"; {FULL_SPEC_HINT}" if origin.endswith("/" + default_spec_path().name) else ""

    def paginate(self, operation: str, /, *args: Any, progress: bool = False, **kwargs: Any) -> Iterator[Any]:
        """Every item of a list endpoint, page after page, fetched lazily:
        `for customer in client.paginate("find_all_customers", per_page=100): ...`

        The API profile knows how pages work (Lago: a `page` parameter, one array beside `meta.next_page`).
        `progress=True` shows how many items have passed (a tqdm bar on a terminal, else a line a second)."""
        items = self._pages(operation, args, kwargs)
        if progress:
            from .progress import track

            return track(items, desc=operation)
        return items

    def _pages(self, operation: str, args: tuple, kwargs: dict) -> Iterator[Any]:
        function = self.operation(operation)
        page_parameter = self.profile.page_parameter
        declared = {p.python_name for p in function.operation.parameters}  # type: ignore[attr-defined]
        if page_parameter is None or page_parameter not in declared:
            raise OperationNotFoundError(f"{operation} is not a paginated list operation (it has no "
                                         f"{page_parameter or 'page'!r} parameter)")
        page = kwargs.pop(page_parameter, None) or 1
        while True:
            result = function(*args, **{page_parameter: page}, **kwargs)
            items = self.profile.page_items(operation, result)
            yield from items
            next_page = self.profile.next_page(result)
            if not next_page or not items:
                return
            page = next_page

    @property
    def transport(self) -> Transport:
        """What sends this client's requests (a `RequestsTransport` unless one was passed in)."""
        return self._calls.transport

    @property
    def on_event(self) -> Callable[[dict[str, Any]], None] | None:
        """Called with {"event": "request" | "response", "operation", "method", "path", ...}: for progress
        bars and metrics. Never given headers, query values or credentials."""
        return self._calls.on_event

    @on_event.setter
    def on_event(self, callback: Callable[[dict[str, Any]], None] | None) -> None:
        self._calls.on_event = callback

    @property
    def tags(self) -> dict[str, binding.OperationGroup]:
        return dict(self._groups)

    def __repr__(self) -> str:
        return (f"<lago_dyn.Client {self.spec.title!r} {self.spec.root.get('info', {}).get('version', '')} "
                f"at {self.base_url}: {len(self.operations)} operations>")

    # -- lifecycle -------------------------------------------------------------------------------------

    def close(self) -> None:
        self._finalizer()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()



class _Calls:
    """What the bound operations call: the settings, the transport and the send loop. It holds no
    reference to the `Client`, so the client is in no reference cycle and is freed as soon as it is
    dropped (closing its connections through the client's finalizer)."""

    def __init__(self, settings: pipeline.Settings, transport: Transport,
                 on_event: Callable[[dict[str, Any]], None] | None):
        self.settings = settings
        self.transport = transport
        self.on_event = on_event

    def invoke(self, operation: Operation, arguments: dict, options: dict) -> ApiResponse:
        settings = self.settings
        for fetch in pipeline.token_fetches(operation, settings):
            fetch.credential.ensure(fetch.token_url, fetch.scopes, self.transport.send)
        request = pipeline.prepare(operation, arguments, options, settings)
        path = operation.path
        started = time.perf_counter()
        if self.on_event is not None:
            self.on_event({"event": "request", "operation": operation.name, "method": request.method, "path": path})
        response = self.transport.send(request)
        elapsed_ms = (time.perf_counter() - started) * 1000
        if self.on_event is not None:
            self.on_event({"event": "response", "operation": operation.name, "method": request.method,
                           "path": path, "status": response.status, "elapsed_ms": elapsed_ms})
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s %s -> %s in %.1f ms", request.method, path, response.status, elapsed_ms)
        return pipeline.handle(operation, response, settings)


def _first_server(spec: Spec) -> str:
    servers = spec.root.get("servers") or [{"url": "/"}]
    server = servers[0]
    url = str(server.get("url", "/"))
    for name, variable in (server.get("variables") or {}).items():
        url = url.replace("{" + name + "}", str(variable.get("default", "")))
    return url


def _checked_base_url(url: str) -> str:
    """An absolute http(s) URL, or a ConfigurationError now rather than a puzzling failure at each call."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"base_url must be an absolute http(s) URL with a host, like 'https://api.example.com/v1', not "
            f"{parts.scheme + '://' if parts.scheme else ''}{parts.hostname or ''}{parts.path!r}"
            f"{' (the spec declares a relative server; pass base_url=)' if url.startswith('/') else ''}"
        )
    return url.rstrip("/")
