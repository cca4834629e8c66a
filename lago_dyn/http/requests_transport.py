"""The default sync transport, on requests: a `requests.Session` per client, explicit timeouts, the whole-call
deadline (`deadline.py`), the environment's proxy and CA settings read once per origin, and a bounded read
of the body. The send loop itself (retries, redirects) is `base.SyncTransport`'s.

Messages are ours: host, port and path, never the query, a header or the text of a requests exception
(which can hold the URL with an API key in its query, or a header value).
"""

from __future__ import annotations

import logging
import re
from contextvars import ContextVar
from typing import Iterator
from urllib.parse import urlsplit

import requests
import requests.adapters

from .base import SyncTransport
from .deadline import DeadlineAdapter
from ..errors import RequestTimeoutError, TransportError
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
    exception_chain,
)


class RequestsTransport(SyncTransport):
    """Sends with a `requests.Session` (connection reuse, the user's proxies and certificates).

    `deadline` bounds a whole call, retries, redirects and slow drips included (see `deadline.py`; with a
    session of the user's own, its adapters are kept and the deadline is checked between steps only)."""

    #: How many origins' environment settings are kept (see `_exchange`).
    MAX_ORIGINS = 64

    def __init__(self, session: requests.Session | None = None, *, timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
                 retry: RetryPolicy | None = None, max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
                 verify: bool | str = True, pool_maxsize: int = DEFAULT_POOL_MAXSIZE, deadline: float | None = None):
        super().__init__(timeout=timeout, retry=retry, max_response_bytes=max_response_bytes, verify=verify,
                         deadline=deadline)
        self.owns_session = session is None
        if session is None:
            session = requests.Session()
            for prefix in ("https://", "http://"):
                session.mount(prefix, DeadlineAdapter(pool_connections=pool_maxsize, pool_maxsize=pool_maxsize))
        self.session = session
        self._environments: dict[tuple[str, str], dict] = {}

    def _response(self, response: requests.Response, content: bytes = b"", elapsed: float = 0.0) -> WireResponse:
        return WireResponse(response.status_code, response.headers, content, response.reason or "", elapsed)

    def _chunks(self, request: WireRequest, response: requests.Response) -> Iterator[bytes]:
        """The body as it arrives: whatever one read of the socket gives (up to 64 KiB), not a fixed size,
        so an event is handed on as soon as its bytes are in."""
        raw = response.raw
        problem: TransportError | None = None
        try:
            while True:
                chunk = raw.read1(65536) if hasattr(raw, "read1") else raw.read(65536)
                if not chunk:
                    return
                yield chunk
        except Exception as exc:  # urllib3's and the socket's own errors; our message carries neither
            problem = _broken_stream(request, exc)
        if problem is not None:
            raise problem

    def _open(self, request: WireRequest) -> requests.Response:
        """One request, up to its status and headers (the body is left on the wire)."""
        # Our errors are raised outside the `except` blocks: `raise ... from None` only hides the chain from
        # tracebacks, while `__context__` would still hold the requests exception, its URL and headers.
        problem: TransportError | None = None
        mark = _sending.set(request)
        try:
            response = self._exchange(request)
        except requests.Timeout:
            problem = RequestTimeoutError(f"{request.method} {request.path}: no answer from "
                                          f"{describe_target(request.url)} within the timeout")
        except requests.RequestException as exc:
            problem = TransportError(f"{request.method} {request.path}: {_connection_problem(exc)} "
                                     f"({describe_target(request.url)})")
        except (UnicodeError, ValueError):
            # http.client refuses header values it cannot encode; its message holds the value.
            problem = TransportError(f"{request.method} {request.path}: a header value cannot be sent "
                                     "(not Latin-1, or contains a line break)")
        finally:
            _sending.reset(mark)
        if problem is not None:
            raise problem
        return response

    def _exchange(self, request: WireRequest) -> requests.Response:
        """`session.request(...)`, except that with a session of ours the environment's proxy and CA
        settings (`HTTP(S)_PROXY`, `NO_PROXY`, `REQUESTS_CA_BUNDLE`) are read once per origin, not on every
        call: requests reads them all each time, about a fifth of a round trip on 127.0.0.1. A session
        of the user's own is used exactly as requests uses it."""
        timeout = request.timeout or self.timeout
        if not self.owns_session:
            return self.session.request(request.method, request.url, headers=dict(request.headers), data=request.body,
                                        timeout=timeout, stream=True, verify=self.verify, allow_redirects=False)
        prepared = self.session.prepare_request(requests.Request(
            request.method.upper(), request.url, headers=dict(request.headers), data=request.body or {}))
        return self.session.send(prepared, timeout=timeout, allow_redirects=False, **self._environment(prepared.url))

    def _environment(self, url: str) -> dict:
        """requests' `merge_environment_settings` for this URL's origin, worked out on its first call."""
        key = urlsplit(url)[:2]  # scheme, host and port: NO_PROXY is by host
        settings = self._environments.get(key)
        if settings is None:
            settings = self.session.merge_environment_settings(url, {}, True, self.verify, None)
            if len(self._environments) < self.MAX_ORIGINS:  # redirects may name any number of hosts
                self._environments[key] = settings
        return settings

    def _read_bounded(self, request: WireRequest, response: requests.Response) -> bytes:
        body = BodyBuffer(request, self.max_response_bytes)
        body.refuse_declared(response.headers.get("Content-Length"))
        broke = ""
        try:
            for chunk in response.iter_content(chunk_size=65536):
                if not body.add(chunk):
                    break
        except requests.RequestException as exc:
            broke = type(exc).__name__
        return body.content(broke)

    def _forget_parent_connections(self) -> None:
        for adapter in self.session.adapters.values():
            if isinstance(adapter, requests.adapters.HTTPAdapter):
                adapter.__setstate__(adapter.__getstate__())  # a new, empty pool manager, same settings

    def close(self) -> None:
        if self.owns_session:
            self.session.close()


#: The request this thread (or task) is sending through requests, for `_QueryHidden`.
_sending: ContextVar[WireRequest | None] = ContextVar("lago_dyn_requests_request", default=None)


#: A URL's query as urllib3 writes it in a log line (however requests encoded it): up to a space or quote.
_QUERY = re.compile(r"\?[^\s\"']*")


class _QueryHidden(logging.Filter):
    """urllib3 logs each request's target at DEBUG (`http://host:80 "GET /v1/x?api_key=… HTTP/1.1" 200 12`),
    query included: an apiKey in the query would reach any application that logs at DEBUG. In a line about
    one of our requests, the query is left out, as in our own log lines (it may hold an API key or personal
    data); other lines pass unchanged."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _sending.get() is not None and isinstance(record.args, tuple):
            record.args = tuple(_QUERY.sub("", arg) if isinstance(arg, str) else arg for arg in record.args)
        return True


for _name in ("urllib3.connectionpool", "urllib3.poolmanager", "urllib3.util.retry"):
    logging.getLogger(_name).addFilter(_QueryHidden())


def _broken_stream(request: WireRequest, exc: Exception) -> TransportError:
    import socket

    import urllib3.exceptions

    if isinstance(exc, (socket.timeout, TimeoutError, urllib3.exceptions.ReadTimeoutError)):
        return RequestTimeoutError(f"{request.method} {request.path}: the stream sent nothing within the read "
                                   f"timeout ({describe_target(request.url)})")
    return TransportError(f"{request.method} {request.path}: the connection broke while reading the stream "
                          f"({type(exc).__name__})")


def _connection_problem(exc: requests.RequestException) -> str:
    """What went wrong, in plain words, from the exception's type and its chain (never its text)."""
    shown = chain_problem(exc)  # requests.exceptions.SSLError is named SSL... too
    if shown is not None:
        return shown
    if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema,
                        requests.exceptions.MissingSchema)):
        return "the URL is not a valid http(s) URL"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError) or any(
            type(item).__name__ == "ProtocolError" for item in exception_chain(exc)):
        return "the connection broke (the server closed it or sent a malformed answer)"
    if isinstance(exc, requests.ConnectionError):
        return "could not connect (ConnectionError)"
    return f"the request failed ({type(exc).__name__})"
