"""`Client`: a thin facade over the call pipeline. It holds one connection's state (spec, base URL,
credentials, transport) and makes a call as: fetch tokens if needed -> `pipeline.prepare` -> transport
send -> `pipeline.handle`. Everything that is not sending lives in the pure steps and in `BaseClient`
(arguments, names, tag groups, pages), so `AsyncClient` (async_client.py) adds nothing but its send loop.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import sys
import threading
import time
import weakref
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping, Sequence
from urllib.parse import urlsplit

from .binding import functions as binding
from .call import pipeline
from .auth import Credential, Credentials
from .errors import ConfigurationError, OperationNotFoundError, PaginationError
from .lago.profile import FULL_SPEC_HINT, LAGO, default_spec_path
from .spec.loader import DEFAULT_LOAD_TIMEOUT, SpecSource, load_document
from .spec.source import DEFAULT_MAX_SPEC_BYTES, Fetcher
from .rate_limits import RateLimit, RateLimitCallback
from .call.profile import Profile
from .spec.model import Operation, Spec
from .suggest import did_you_mean
from . import tracing
from .validation import SchemaValidators
from .wire import DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_POOL_MAXSIZE, DEFAULT_TIMEOUT, RetryPolicy, WireRequest, WireResponse

if TYPE_CHECKING:
    import requests

    from .lago.events import SendReport
    from .http.base import Transport
    from .webhooks import WebhookGroup

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
    max_document_bytes: int = DEFAULT_MAX_SPEC_BYTES,
    on_duplicate: str = "error",
) -> Spec:
    """Load and index a spec once, to share it between clients (validators compile once per Spec).

    URLs are fetched with `session` (the user's proxies and certificates apply) and `verify`. `$ref`s may
    leave the spec's folder only to files under `ref_root`; a dict source resolves its relative `$ref`s
    against `base_uri`. `overlays`: Overlay documents (paths, dicts, or shipped names like "lago-fixes")
    applied in order. A document (the spec, or one its `$ref`s reach) larger than `max_document_bytes`
    is refused before it is parsed (default 128 MiB: the largest public descriptions, such as Microsoft
    Graph's 47 MB, fit). Operations get unique Python names by a fixed rule (see `Spec`); only a
    repeated operationId, which the specification forbids, is refused, unless `on_duplicate="rename"`.

    The same content (with the same overlays, place and options) loaded again in this process gives the
    same `Spec`, its compiled validators included; `cache_dir=False` gives a fresh one."""
    loaded = load_document(source if source is not None else default_spec_path(), cache_dir=cache_dir,
                           timeout=timeout, allow_remote_refs=allow_remote_refs, ref_root=ref_root,
                           base_uri=base_uri, session=session, verify=verify, overlays=overlays,
                           open_transport=spec_transport, max_bytes=max_document_bytes)
    spec = loaded.specs.get(on_duplicate)
    if spec is None:
        spec = loaded.specs[on_duplicate] = Spec(loaded, compile_validators=SchemaValidators,
                                                 on_duplicate=on_duplicate)
    return spec


def spec_transport(fetcher: Fetcher) -> Any:
    """The transport a spec, an overlay or a remote `$ref` is fetched with: the default one, on the
    user's `session`, with the fetcher's timeout, size cap and `verify`."""
    from .http.requests_transport import RequestsTransport

    return RequestsTransport(fetcher.session, timeout=fetcher.timeout, max_response_bytes=fetcher.max_bytes,
                             verify=fetcher.verify)


class Operations(dict):
    """The client's operations by Python name: a name it does not have is an OperationNotFoundError (a
    KeyError too) with the closest names, as the attribute lookup gives."""

    def __init__(self, title: str, functions: dict[str, Callable[..., Any]], profile: Profile):
        super().__init__(functions)
        self.title = title
        self.profile = profile

    def __missing__(self, name: str) -> Any:
        said = self.profile.missing_operation_hint(str(name), self)
        raise OperationNotFoundError(f"{self.title} has no operation {name!r}{said or did_you_mean(str(name), self)}")


class PageTrail:
    """The pages `paginate` fetched, so that a server whose pages do not advance (the same next page
    again, or more pages than its own total) stops it with a PaginationError instead of looping forever."""

    __slots__ = ("operation", "visited", "total", "items")

    def __init__(self, operation: str):
        self.operation = operation
        self.visited: set[Any] = set()
        self.total: int | None = None
        self.items = 0

    def visit(self, page: Any) -> None:
        done = f"stopped after {len(self.visited)} pages ({self.items} items)"
        if page in self.visited:
            raise PaginationError(f"{self.operation}: the server named page {page!r} as the next page again: "
                                  f"its pages do not advance; {done}")
        if self.total is not None and len(self.visited) >= self.total:
            raise PaginationError(f"{self.operation}: the server named a next page ({page!r}) past the "
                                  f"{self.total} pages it said the list has; {done}")
        self.visited.add(page)


class Calls:
    """What the bound operations call: the settings, the transport and the send loop. It holds no
    reference to the `Client`, so the client is in no reference cycle and is freed as soon as it is
    dropped (closing its connections through the client's finalizer). Everything but the sending itself
    (`start`, `finish`) is shared with the async facade's subclass."""

    def __init__(self, settings: pipeline.Settings, transport: Any, open_transport: Callable[[], Any],
                 on_event: Callable[[dict[str, Any]], None] | None):
        self.settings = settings
        #: The transport given, or the client's own, opened at first use (`open_transport`): making the
        #: default one imports requests, a third of what `import lago_dyn` + `Client()` would otherwise cost.
        self._transport = transport
        self._open_transport = open_transport
        self._opening = threading.Lock()
        self.on_event = on_event
        self.on_rate_limit: RateLimitCallback | None = None
        #: Operation name -> its plan (kept here, not in `settings`, which a plan refers to: no cycle).
        self.plans: dict[str, pipeline.OperationPlan] = {}

    @property
    def transport(self) -> Any:
        if self._transport is None:
            with self._opening:
                if self._transport is None:
                    self._transport = self._open_transport()
        return self._transport

    def close_transport(self) -> None:
        """Close the transport if it was ever opened: closing must not open one."""
        if self._transport is not None:
            self._transport.close()

    def plan(self, operation: Operation) -> pipeline.OperationPlan:
        """The operation's plan, made at its first call and then looked up once per call."""
        plan = self.plans.get(operation.name)
        if plan is None or plan.operation is not operation:
            plan = self.plans[operation.name] = pipeline.OperationPlan(operation, self.settings)
        return plan

    def invoke(self, operation: Operation, arguments: dict, options: dict) -> Any:
        plan = self.plan(operation)
        if tracing.configured():
            with tracing.span(operation, self.settings.base_url) as current:
                return tracing.answered(current, self._invoke(plan, arguments, options))
        return self._invoke(plan, arguments, options)

    def _invoke(self, plan: pipeline.OperationPlan, arguments: dict, options: dict) -> Any:
        answer = self._send(plan, arguments, options)
        # OpenAPI 3.2 `itemSchema` answers are read item by item as they arrive.
        return pipeline.handle_stream(plan, answer) if plan.operation.streams else pipeline.handle(plan, answer)

    def send(self, operation: Operation, arguments: dict, options: dict) -> Any:
        """The raw answer: a WireResponse, or for a streamed operation the open stream."""
        return self._send(self.plan(operation), arguments, options)

    def _send(self, plan: pipeline.OperationPlan, arguments: dict, options: dict) -> Any:
        for fetch in plan.fetches:
            fetch.credential.ensure(fetch.token_url, fetch.scopes, self.transport.send)
        request, started = self.start(plan, arguments, options)
        transmit = self.transport.stream if plan.operation.streams else self.transport.send
        return self.finish(plan.operation, request, transmit(request), started)

    def start(self, plan: pipeline.OperationPlan, arguments: dict, options: dict) -> tuple[WireRequest, float]:
        """The request to send (`pipeline.prepare`) and when it started; tells `on_event`."""
        request = pipeline.prepare(plan, arguments, options)
        if self.on_event is not None:
            self.on_event({"event": "request", "operation": plan.operation.name, "method": request.method,
                           "path": plan.operation.path})
        return request, time.perf_counter()

    def finish(self, operation: Operation, request: WireRequest, response: Any, started: float) -> Any:
        """The answer as it came, after telling `on_event`, the log and `on_rate_limit`."""
        elapsed_ms = (time.perf_counter() - started) * 1000
        if self.on_event is not None:
            self.on_event({"event": "response", "operation": operation.name, "method": request.method,
                           "path": operation.path, "status": response.status, "elapsed_ms": elapsed_ms})
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s %s -> %s in %.1f ms", request.method, operation.path, response.status, elapsed_ms)
        if self.on_rate_limit is not None:
            rate_limit = RateLimit.from_headers(response.headers, operation.name)
            if rate_limit is not None:
                self.on_rate_limit(rate_limit)
        return response


class BaseClient:
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

    `events_base_url` sends the event operations (`create_event`, `create_batch_events`) to Lago's
    ingestion host; `on_rate_limit` is given a `RateLimit` for every answer that carries Lago's
    `x-ratelimit-*` headers.

    `session`: an HTTP client of your own, used and not closed (a `requests.Session` or an `httpx2.Client`
    for `Client`, an `httpx2.AsyncClient` for `AsyncClient`).
    """

    #: The two things a facade chooses: how calls run (sync or async) and what operations are.
    _calls_type: type[Calls]
    _make_function: Callable[..., binding.OperationFunction]

    def __init__(
        self,
        spec: SpecSource | Spec | None = None,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        auth: Mapping[str, Credential] | None = None,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        deadline: float | None = None,
        session: Any = None,
        headers: Mapping[str, str] | None = None,
        response_validation: str | Mapping[str, str] = pipeline.STRICT,
        request_validation: bool = True,
        check_formats: str = "requests",
        typed_results: bool = False,
        unknown_fields: str = "warn",
        retry: RetryPolicy | None = None,
        transport: Any = None,
        verify: bool | str = True,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        pool_maxsize: int = DEFAULT_POOL_MAXSIZE,
        cache_dir: str | os.PathLike | None | bool = None,
        allow_remote_refs: bool = False,
        ref_root: str | os.PathLike | None = None,
        profile: Profile = LAGO,
        on_event: Callable[[dict[str, Any]], None] | None = None,
        overlays: Sequence[Any] | None = None,
        events_base_url: str | None = None,
        on_rate_limit: RateLimitCallback | None = None,
        max_document_bytes: int = DEFAULT_MAX_SPEC_BYTES,
        on_duplicate: str = "error",
    ):
        if check_formats not in ("requests", "both", "none"):
            raise ConfigurationError(f"check_formats must be 'requests', 'both' or 'none', not {check_formats!r}")
        if unknown_fields not in ("warn", "error", "ignore"):
            raise ConfigurationError(f"unknown_fields must be 'warn', 'error' or 'ignore', not {unknown_fields!r}")
        modes = pipeline.response_modes(response_validation)
        self.spec = spec if isinstance(spec, Spec) else load_spec(
            spec, cache_dir=cache_dir, allow_remote_refs=allow_remote_refs, ref_root=ref_root,
            session=session if _is_requests_session(session) else None, verify=verify, overlays=overlays,
            max_document_bytes=max_document_bytes, on_duplicate=on_duplicate)
        self.base_url = _checked_base_url(base_url or _first_server(self.spec))
        self.profile = profile
        key_origin = "the api_key argument" if api_key is not None else ""
        if api_key is None and profile.api_key_env:
            api_key = os.environ.get(profile.api_key_env) or None
            key_origin = f"the {profile.api_key_env} environment variable" if api_key is not None else ""
        if auth:
            key_origin = ", ".join(filter(None, (key_origin, f"auth= (for {', '.join(map(str, auth))})")))
        source = f"api_key= (or set {profile.api_key_env})" if profile.api_key_env else "api_key="
        try:
            credentials = Credentials(self.spec.security_schemes, auth, api_key, source)
        except ValueError as error:
            raise ConfigurationError(str(error)) from None
        # The operations the API sends to another host (Lago: events to its ingestion host), by the profile.
        ingest = _checked_base_url(events_base_url) if events_base_url is not None else None
        hosts = {name: ingest for name in profile.event_operations if name in self.spec.operations} if ingest else {}
        settings = pipeline.Settings(
            spec=self.spec, base_url=self.base_url, credentials=credentials, profile=profile,
            headers={"User-Agent": USER_AGENT, **(headers or {})}, request_validation=request_validation,
            response_validation=modes, request_formats=check_formats != "none",
            response_formats=check_formats == "both", typed_results=typed_results, unknown_fields=unknown_fields,
            key_origin=key_origin, missing_server_path=_missing_server_path(self.base_url, self.spec), hosts=hosts,
        )
        opener = (lambda: transport) if transport is not None else self._transport_opener(
            session, timeout=timeout, deadline=deadline, retry=retry, verify=verify,
            max_response_bytes=max_response_bytes, pool_maxsize=pool_maxsize,
        )
        self._calls = self._calls_type(settings, transport, opener, on_event)
        self._calls.on_rate_limit = on_rate_limit
        self._watch_lifetime()
        self.operations = Operations(self.spec.title, {
            name: type(self)._make_function(operation, self._calls.invoke, self.spec)
            for name, operation in self.spec.operations.items()
        }, profile)
        # The hint holds the operations, not the client: the client stays out of any reference cycle.
        operations = self.operations
        self._groups = binding.tag_groups(self.spec, operations,
                                          hint=lambda name: profile.missing_operation_hint(name, operations))

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
        said = self.profile.missing_operation_hint(name, operations)
        raise OperationNotFoundError(
            f"{self.spec.title} has no operation or tag {name!r}{said or did_you_mean(name, [*operations, *groups])}"
            f"{self._default_spec_hint()}"
        )

    def __dir__(self) -> list[str]:
        own = [name for klass in type(self).__mro__[:-1] for name in vars(klass) if not name.startswith("_")]
        return sorted({*own, "operations", "webhooks", "spec", "base_url", *self._groups, *self.operations})

    def operation(self, name: str) -> Callable[..., Any]:
        """An operation by Python name or operationId (`create_customer` or `createCustomer`)."""
        if name in self.operations:
            return self.operations[name]
        for function in self.operations.values():
            if function.operation.operation_id == name:  # type: ignore[attr-defined]
                return function
        said = self.profile.missing_operation_hint(name, self.operations)
        raise OperationNotFoundError(f"{self.spec.title} has no operation {name!r}"
                                     f"{said or did_you_mean(name, self.operations)}{self._default_spec_hint()}")

    def _default_spec_hint(self) -> str:
        origin = self.spec.base_uri
        return f"; {FULL_SPEC_HINT}" if origin.endswith("/" + default_spec_path().name) else ""

    def _pager(self, operation: str, kwargs: dict) -> tuple[Callable[..., Any], str, Any]:
        """The operation to call page after page, its page parameter and the first page (taken out of
        `kwargs`), or OperationNotFoundError for an operation that has no pages."""
        function = self.operation(operation)
        page_parameter = self.profile.page_parameter
        declared = {p.python_name for p in function.operation.parameters}  # type: ignore[attr-defined]
        if page_parameter is None or page_parameter not in declared:
            raise OperationNotFoundError(f"{operation} is not a paginated list operation (it has no "
                                         f"{page_parameter or 'page'!r} parameter)")
        return function, page_parameter, kwargs.pop(page_parameter, None) or 1

    def _turn_page(self, operation: str, result: Any, trail: "PageTrail") -> tuple[list[Any], Any]:
        """A page's items, and the next page to fetch (None after the last)."""
        items = self.profile.page_items(operation, result)
        next_page = self.profile.next_page(result)
        trail.total = self.profile.total_pages(result)
        trail.items += len(items)
        return items, next_page if next_page and items else None

    @property
    def transport(self) -> Any:
        """What sends this client's requests (a `RequestsTransport`, or for `AsyncClient` an
        `Httpx2Transport`, unless one was passed in)."""
        return self._calls.transport

    @property
    def on_event(self) -> Callable[[dict[str, Any]], None] | None:
        """Called with {"event": "request" | "response", "operation", "method", "path", ...}: for progress
        bars and metrics. Never given headers, query values or credentials."""
        return self._calls.on_event

    @on_event.setter
    def on_event(self, callback: Callable[[dict[str, Any]], None] | None) -> None:
        self._calls.on_event = callback

    @functools.cached_property
    def webhooks(self) -> WebhookGroup:
        """The spec's webhooks: `client.webhooks.verify(payload, headers)`, or one checked by name."""
        from .webhooks import WebhookGroup

        return WebhookGroup(self.spec, self._groups.get("webhooks"))

    @property
    def tags(self) -> dict[str, binding.OperationGroup]:
        return dict(self._groups)

    def __repr__(self) -> str:
        return (f"<lago_dyn.{type(self).__name__} {self.spec.title!r} {self.spec.root.get('info', {}).get('version', '')} "
                f"at {self.base_url}: {len(self.operations)} operations>")

    def _transport_opener(self, session: Any, **options: Any) -> Callable[[], Any]:
        """What opens this facade's own transport, at its first use."""
        raise NotImplementedError

    def _watch_lifetime(self) -> None:
        """What happens when the client is collected unclosed (nothing, unless the facade says)."""


class Client(BaseClient):
    __doc__ = BaseClient.__doc__
    _calls_type = Calls
    _make_function = staticmethod(binding.make_function)

    def _transport_opener(self, session: Any, **options: Any) -> Callable[[], Transport]:
        if session is None:  # ours: opened (and requests imported) at the first call
            return functools.partial(_open_transport, None, **options)
        transport = _open_transport(session, **options)  # the user's: its type is checked now
        return lambda: transport

    def _watch_lifetime(self) -> None:
        # Closed when the client is collected too. Not a cycle's member (the operations reach `_calls`, not
        # the client), a dropped client goes at once; an operation kept beyond it still works, on new
        # connections (a closed requests session reconnects).
        self._finalizer = weakref.finalize(self, self._calls.close_transport)

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
        function, page_parameter, page = self._pager(operation, kwargs)
        trail = PageTrail(operation)
        while page is not None:
            trail.visit(page)
            items, page = self._turn_page(operation, function(*args, **{page_parameter: page}, **kwargs), trail)
            yield from items

    def send_events(self, events: Iterable[Mapping[str, Any]], *, batch_size: int = 100, retries: int = 2,
                    backoff: float = 0.5) -> SendReport:
        """Send any number of usage events with `create_batch_events`, `batch_size` at a time: each event
        without a `transaction_id` gets a unique one, a failed batch is resent, progress goes to
        `on_event`; see `lago_dyn.lago.events.send_events`."""
        from .lago.events import send_events

        return send_events(self, events, batch_size=batch_size, retries=retries, backoff=backoff)

    def send(self, operation: str, arguments: Mapping[str, Any], options: Mapping[str, Any] | None = None
             ) -> WireResponse:
        """Prepare and send one call (arguments by Python name) and return the answer as it came, whatever
        its status, neither decoded nor validated: for facades that hand the raw answer on."""
        function = self.operation(operation)
        return self._calls.send(function.operation, dict(arguments), dict(options or {}))  # type: ignore[attr-defined]

    # -- lifecycle -------------------------------------------------------------------------------------

    def close(self) -> None:
        self._finalizer()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()


def _open_transport(session: Any, **options: Any) -> Transport:
    from .http.choice import open_transport  # imports requests: at the first send, not at `import lago_dyn`

    return open_transport(session, **options)


def _is_requests_session(session: Any) -> bool:
    # Without requests imported, nothing can be a requests.Session: no need to import it to ask.
    requests = sys.modules.get("requests")
    return requests is not None and isinstance(session, requests.Session)


def _first_server(spec: Spec) -> str:
    servers = spec.root.get("servers") or [{"url": "/"}]
    server = servers[0]
    url = str(server.get("url", "/"))
    for name, variable in (server.get("variables") or {}).items():
        url = url.replace("{" + name + "}", str(variable.get("default", "")))
    return url


def _checked_base_url(url: str) -> str:
    """An absolute http(s) URL, or a ConfigurationError now rather than a puzzling failure at each call.
    The URL is echoed as given, less any `user:password@`, query or fragment (they may hold secrets)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        shown = re.sub(r"^([a-zA-Z][a-zA-Z0-9+.-]*://)?[^/@]*@", r"\1", url.split("?", 1)[0].split("#", 1)[0])
        if url.startswith("/"):
            hint = " (the spec declares a relative server; pass base_url=)"
        elif "://" not in shown:
            hint = f"; did you mean {'http://' + shown!r}?"
        else:
            hint = ""
        raise ConfigurationError(f"base_url must be an absolute http(s) URL with a host, like "
                                 f"'https://api.example.com/v1', not {shown!r}{hint}")
    return url.rstrip("/")


def _missing_server_path(base_url: str, spec: Spec) -> str:
    """The path of the spec's first server (`/api/v1`) when `base_url` does not end with it, else ""."""
    path = urlsplit(_first_server(spec)).path.rstrip("/")
    return path if path and not urlsplit(base_url).path.rstrip("/").endswith(path) else ""
