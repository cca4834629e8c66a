"""The transports on httpx2: `Httpx2SyncTransport` (for `Client`, beside the default requests one) and
`Httpx2Transport` (for `AsyncClient`), and what is httpx2's in both: the client made from our settings, a
`WireRequest` as httpx2 takes it, the answer's head as the pipeline reads it, and each failure in our words.

The rules are the other transports': `wire.next_step` decides retries and redirects (httpx2 follows none
itself), bodies are read as a stream and refused past `max_response_bytes`, a whole call has a deadline.
Messages are ours: host, port and path, never the query, a header or the text of an httpx2 exception, and
they are raised outside `except` blocks, so not even `__context__` holds the third-party exception.

Why httpx2: it is httpx's maintained continuation (same API, same author's design, maintained by Pydantic
since httpx's last release in December 2024), what the async ecosystem moved to, and on the benchmarks'
machine the faster sync transport too. It needs Python 3.11+.
"""

from __future__ import annotations

import logging
import ssl
from contextlib import aclosing
from contextvars import ContextVar
from typing import Any, AsyncGenerator, Iterator

from ..errors import ConfigurationError, RequestTimeoutError, TransportError

try:
    import httpcore2
    import httpx2
except ImportError:
    raise ConfigurationError("the httpx2 transports need httpx2, which is not installed (it needs Python 3.11+): "
                             "pip install 'httpx2>=2.16.2,<2.17'") from None
from requests.structures import CaseInsensitiveDict

from .deadline import claim
from .async_transport import AsyncSendLoop
from .base import SyncTransport, TransportSettings
from ..wire import (
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_POOL_MAXSIZE,
    DEFAULT_TIMEOUT,
    BodyBuffer,
    RetryPolicy,
    WireRequest,
    WireResponse,
    chain_problem,
    describe_target,
)

log = logging.getLogger("lago_dyn")

#: What opening a request may raise: httpx2's errors, and h11's refusal of a header value it cannot send.
_OPEN_FAILURES = (httpx2.HTTPError, httpx2.InvalidURL, UnicodeError, ValueError)


class _OnHttpx2:
    """How both httpx2 transports are made: with the user's client (used, never closed) or one of our own,
    at most `pool_maxsize` connections, all kept alive."""

    #: The httpx2 client class this transport sends with.
    client_class: type
    client: Any

    def __init__(self, client: httpx2.Client | httpx2.AsyncClient | None = None, *,
                 timeout: float | tuple[float, float] = DEFAULT_TIMEOUT, deadline: float | None = None,
                 retry: RetryPolicy | None = None, max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
                 verify: bool | str = True, pool_maxsize: int = DEFAULT_POOL_MAXSIZE):
        if client is not None and not isinstance(client, self.client_class):
            raise ConfigurationError(f"the session must be an httpx2.{self.client_class.__name__}, not "
                                     f"{type(client).__module__}.{type(client).__qualname__}")
        super().__init__(timeout=timeout, deadline=deadline, retry=retry,  # type: ignore[call-arg]
                         max_response_bytes=max_response_bytes, verify=verify)
        self.owns_client = client is None
        self.client = client if client is not None else self._own_client(
            timeout=_timeout(timeout), follow_redirects=False,  # redirects are wire.follow's
            limits=httpx2.Limits(max_connections=pool_maxsize, max_keepalive_connections=pool_maxsize),
            verify=ssl.create_default_context(cafile=verify) if isinstance(verify, str) else verify)

    def _own_client(self, **options: Any) -> Any:
        return self.client_class(**options)


class Httpx2SyncTransport(_OnHttpx2, SyncTransport):
    """Sends `Client`'s requests with an `httpx2.Client` (bring your own with `client=`, or pass it to
    `Client(session=...)`: it is used, never closed), under the send loop and guarantees of
    `RequestsTransport`: `lago_dyn.Client(spec, transport=Httpx2SyncTransport(pool_maxsize=20))`.

    With a client of our own, each connection makes itself known to the call's deadline (`deadline.py`),
    which shuts it down when a server drips; with the user's, the deadline is checked between steps only."""

    client_class = httpx2.Client

    def _own_client(self, **options: Any) -> httpx2.Client:
        client = httpx2.Client(**options)
        for pool in _pools(client):
            pool._network_backend = _WatchedBackend(pool._network_backend)
        return client

    def _open(self, request: WireRequest) -> httpx2.Response:
        with _Opening(request, self.client) as opening:
            response = self.client.send(_build(self.client, request), stream=True, follow_redirects=False)
        if opening.problem is not None:
            raise opening.problem
        return response

    def _response(self, response: httpx2.Response, content: bytes = b"", elapsed: float = 0.0) -> WireResponse:
        return _wire_response(response, content, elapsed)

    def _read_bounded(self, request: WireRequest, response: httpx2.Response) -> bytes:
        body = _body_buffer(self, request, response)
        for chunk in self._chunks(request, response, "response"):
            if not body.add(chunk):
                break
        return body.content()

    def _chunks(self, request: WireRequest, response: httpx2.Response, what: str = "stream") -> Iterator[bytes]:
        """The body as it arrives (decoded), a failure in our words."""
        problem: TransportError | None = None
        try:
            yield from response.iter_bytes()
        except httpx2.HTTPError as exc:
            problem = _read_problem(request, exc, what)
        if problem is not None:
            raise problem

    def _forget_parent_connections(self) -> None:
        for pool in _pools(self.client):
            inherited = pool._connections
            # A new lock too: another thread of the parent may have held the old one at the fork.
            pool._connections, pool._requests = [], []
            pool._optional_thread_lock = type(pool._optional_thread_lock)()
            for connection in inherited:
                connection.close()  # closes this process's descriptor only: the parent's socket stays open

    def close(self) -> None:
        # The connections, not the client: like a closed requests session, it reconnects if an operation
        # kept beyond its `Client` is called (httpx2 refuses to send on a closed client).
        if self.owns_client:
            for pool in _pools(self.client):
                pool.close()


class Httpx2Transport(_OnHttpx2, AsyncSendLoop):
    """Sends `AsyncClient`'s requests with an `httpx2.AsyncClient` (a pool of at most `pool_maxsize`
    connections; bring your own with `client=`: it is used, never closed), on the async send loop
    (`async_transport.AsyncSendLoop`: retries waited with `asyncio.sleep`, cancellation closes the
    connection)."""

    client_class = httpx2.AsyncClient

    async def _chunks(self, request: WireRequest, response: httpx2.Response,
                      what: str = "stream") -> AsyncGenerator[bytes, None]:
        """The body as it arrives (decoded), a failure in our words."""
        problem: TransportError | None = None
        try:
            async for chunk in response.aiter_bytes():
                yield chunk
        except httpx2.HTTPError as exc:
            problem = _read_problem(request, exc, what)
        if problem is not None:
            raise problem

    async def _open(self, request: WireRequest) -> httpx2.Response:
        """One request, up to its status and headers (the body is left on the wire)."""
        with _Opening(request, self.client) as opening:
            response = await self.client.send(_build(self.client, request), stream=True, follow_redirects=False)
        if opening.problem is not None:
            raise opening.problem
        return response

    def _response(self, response: httpx2.Response, content: bytes = b"") -> WireResponse:
        return _wire_response(response, content)

    async def _close(self, response: httpx2.Response) -> None:
        await response.aclose()

    async def _read_bounded(self, request: WireRequest, response: httpx2.Response) -> bytes:
        body = _body_buffer(self, request, response)
        async with aclosing(self._chunks(request, response, "response")) as chunks:
            async for chunk in chunks:
                if not body.add(chunk):
                    break
        return body.content()

    async def aclose(self) -> None:
        if self.owns_client:
            await self.client.aclose()


# -- httpx2's side of both transports -------------------------------------------------------------------

def _connect_read(timeout: float | tuple[float, float]) -> tuple[float, float]:
    return timeout if isinstance(timeout, tuple) else (timeout, timeout)


def _timeout(timeout: float | tuple[float, float]) -> httpx2.Timeout:
    connect, read = _connect_read(timeout)
    return httpx2.Timeout(read, connect=connect)


def _build(client: httpx2.Client | httpx2.AsyncClient, request: WireRequest) -> httpx2.Request:
    return client.build_request(
        request.method, request.url, headers=dict(request.headers), content=request.body,
        timeout=_timeout(request.timeout) if request.timeout else httpx2.USE_CLIENT_DEFAULT,
    )


def _body_buffer(settings: TransportSettings, request: WireRequest, response: httpx2.Response) -> BodyBuffer:
    body = BodyBuffer(request, settings.max_response_bytes)
    body.refuse_declared(response.headers.get("Content-Length"))
    return body


def _wire_response(response: httpx2.Response, content: bytes = b"", elapsed: float = 0.0) -> WireResponse:
    # Headers as the requests transport gives them (a case-insensitive dict): the pipeline reads
    # Content-Type several times, and httpx2's Headers decode every header on each lookup.
    return WireResponse(response.status_code, CaseInsensitiveDict(response.headers.items()), content,
                        response.reason_phrase or "", elapsed)


class _Opening:
    """Around sending one request, on a client still open: marks the request as ours for httpx2's log line
    (`_PathOnly`), and turns what httpx2 raises into our error, kept in `problem` for the caller to raise
    once the `with` is left (raised here, it would carry httpx2's exception, its URL and headers, as
    `__context__`)."""

    __slots__ = ("request", "problem", "_mark")

    def __init__(self, request: WireRequest, client: httpx2.Client | httpx2.AsyncClient):
        self.request = request
        self.problem: TransportError | None = None
        if client.is_closed:  # httpx2 would raise a RuntimeError of its own
            raise ConfigurationError(f"{request.method} {request.path}: the httpx2 client this call sends with "
                                     "was closed (nothing was sent)")

    def __enter__(self) -> "_Opening":
        self._mark = _sending.set(self.request)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, traceback: Any) -> bool:
        _sending.reset(self._mark)
        if isinstance(exc, _OPEN_FAILURES):
            self.problem = _open_problem(self.request, exc)
            return True
        return False


def _open_problem(request: WireRequest, exc: BaseException) -> TransportError:
    where, target = f"{request.method} {request.path}", describe_target(request.url)
    if isinstance(exc, httpx2.PoolTimeout):
        return RequestTimeoutError(f"{where}: no free connection to {target} within the timeout")
    if isinstance(exc, httpx2.TimeoutException):
        return RequestTimeoutError(f"{where}: no answer from {target} within the timeout")
    if isinstance(exc, (httpx2.HTTPError, httpx2.InvalidURL)):
        return TransportError(f"{where}: {_connection_problem(exc)} ({target})")
    # h11 refuses header values it cannot encode; its message holds the value.
    return TransportError(f"{where}: a header value cannot be sent (not Latin-1, or contains a line break)")


def _read_problem(request: WireRequest, exc: httpx2.HTTPError, what: str) -> TransportError:
    """A body (`what`: "response" or "stream") that stopped arriving or whose connection broke."""
    where = f"{request.method} {request.path}"
    if isinstance(exc, httpx2.TimeoutException):
        return RequestTimeoutError(f"{where}: the {what} from {describe_target(request.url)} stopped arriving "
                                   "within the timeout")
    return TransportError(f"{where}: the connection broke while reading the {what} ({type(exc).__name__})")


#: The request this thread (or task) is sending through httpx2, for `_PathOnly`.
_sending: ContextVar[WireRequest | None] = ContextVar("lago_dyn_httpx2_request", default=None)


class _PathOnly(logging.Filter):
    """httpx2 logs every request's URL at INFO (`HTTP Request: GET https://…?api_key=… "HTTP/1.1 200 OK"`),
    query included, and INFO is a level applications log at. A line about one of our requests shows its path
    only, as our own log lines do (a query may hold an API key or personal data); others pass unchanged."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = _sending.get()
        if request is not None and isinstance(record.args, tuple) and len(record.args) > 1:
            record.args = (record.args[0], request.path, *record.args[2:])
        return True


logging.getLogger("httpx2").addFilter(_PathOnly())


def _connection_problem(exc: BaseException) -> str:
    """What went wrong, in plain words, from the exception's type and its chain (never its text)."""
    shown = chain_problem(exc)
    if shown is not None:
        return shown
    if isinstance(exc, (httpx2.UnsupportedProtocol, httpx2.InvalidURL)):
        return "the URL is not a valid http(s) URL"
    if isinstance(exc, (httpx2.RemoteProtocolError, httpx2.ReadError, httpx2.WriteError)):
        return "the connection broke (the server closed it or sent a malformed answer)"
    if isinstance(exc, httpx2.ConnectError):
        return "could not connect (ConnectError)"
    return f"the request failed ({type(exc).__name__})"


# -- the sync client's pools: watched by the deadline, emptied in a forked child --------------------------
# httpx2 has no public hook for either, so these reach its transports' httpcore2 pools (`_transport`,
# `_mounts`, `_pool`): httpx2 is pinned below 2.17, and the deadline and fork tests run on it.

def _pools(client: httpx2.Client) -> Iterator[httpcore2.ConnectionPool]:
    """The connection pools of a client: its transport's, and its proxies' (`mounts`)."""
    for transport in (client._transport, *client._mounts.values()):
        pool = getattr(transport, "_pool", None)
        if isinstance(pool, httpcore2.ConnectionPool):
            yield pool


class _WatchedBackend(httpcore2.NetworkBackend):
    """httpcore2's network backend whose connections claim themselves for the current call's deadline."""

    def __init__(self, inner: httpcore2.NetworkBackend):
        self._inner = inner

    def connect_tcp(self, *args: Any, **kwargs: Any) -> httpcore2.NetworkStream:
        return _WatchedStream(self._inner.connect_tcp(*args, **kwargs))

    def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore2.NetworkStream:
        return _WatchedStream(self._inner.connect_unix_socket(*args, **kwargs))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _WatchedStream(httpcore2.NetworkStream):
    """A connection that, as it sends a request, becomes the one the call's deadline shuts (`sock`)."""

    def __init__(self, inner: httpcore2.NetworkStream):
        self._inner = inner
        self.read = inner.read  # type: ignore[method-assign]  # the hot path, unwrapped
        self.get_extra_info = inner.get_extra_info  # type: ignore[method-assign]

    @property
    def sock(self) -> Any:
        return self._inner.get_extra_info("socket")

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        claim(self)
        self._inner.write(buffer, timeout)

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, *args: Any, **kwargs: Any) -> httpcore2.NetworkStream:
        return _WatchedStream(self._inner.start_tls(*args, **kwargs))
