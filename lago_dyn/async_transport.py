"""The async transport: `Httpx2Transport` sends `AsyncClient`'s requests with one `httpx2.AsyncClient`
(a pool of at most `pool_maxsize` connections), under the same rules as the sync transport, all taken
from `wire.py`: `Attempts` decides retries (waited with `asyncio.sleep`, so other calls run meanwhile),
`wire.follow` decides redirects (httpx2 follows none itself), bodies are read as a stream and refused
past `max_response_bytes`, and a whole call (retries and redirects included) has a deadline.

Cancellation is part of the contract: a call cancelled while it waits for, or reads, an answer closes
that connection before the CancelledError leaves `send`, so no half-read connection goes back to the
pool, and nothing is left running in the background (no task is ever spawned here).

Messages are ours: host, port and path, never the query, a header or the text of an httpx2 exception.
They are raised outside `except` blocks, so not even `__context__` holds the third-party exception.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import ssl
import time
from contextlib import aclosing
from dataclasses import replace
from typing import AsyncIterator, Protocol

import httpx2
from requests.structures import CaseInsensitiveDict

from .errors import ConfigurationError, RequestTimeoutError, TransportError
from .streams import AsyncOpenStream
from .transport import default_deadline
from .wire import (
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_POOL_MAXSIZE,
    DEFAULT_TIMEOUT,
    Attempts,
    BodyBuffer,
    RetryPolicy,
    WireRequest,
    WireResponse,
    describe_target,
    exception_chain,
    next_step,
)

log = logging.getLogger("lago_dyn")

class AsyncTransport(Protocol):
    async def send(self, request: WireRequest) -> WireResponse: ...

    async def aclose(self) -> None: ...


def _connect_read(timeout: float | tuple[float, float]) -> tuple[float, float]:
    return timeout if isinstance(timeout, tuple) else (timeout, timeout)


class Httpx2Transport:
    """Sends with an `httpx2.AsyncClient` (bring your own with `client=`: it is used, never closed).

    Why httpx2: it is httpx's maintained continuation (same API, same author's design, maintained by
    Pydantic since httpx's last release in December 2024), and it is what the async ecosystem moved to."""

    def __init__(self, client: httpx2.AsyncClient | None = None, *,
                 timeout: float | tuple[float, float] = DEFAULT_TIMEOUT, deadline: float | None = None,
                 retry: RetryPolicy | None = None, max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
                 verify: bool | str = True, pool_maxsize: int = DEFAULT_POOL_MAXSIZE):
        if client is not None and not isinstance(client, httpx2.AsyncClient):
            raise ConfigurationError(f"AsyncClient's session must be an httpx2.AsyncClient, not "
                                     f"{type(client).__module__}.{type(client).__qualname__}")
        self.owns_client = client is None
        self.timeout = timeout
        self.deadline = deadline if deadline is not None else default_deadline(timeout)
        self.retry = retry or RetryPolicy()
        self.max_response_bytes = max_response_bytes
        if client is None:
            connect, read = _connect_read(timeout)
            client = httpx2.AsyncClient(
                timeout=httpx2.Timeout(read, connect=connect),
                limits=httpx2.Limits(max_connections=pool_maxsize, max_keepalive_connections=pool_maxsize),
                verify=ssl.create_default_context(cafile=verify) if isinstance(verify, str) else verify,
                follow_redirects=False,
            )
        self.client = client

    async def send(self, request: WireRequest) -> WireResponse:
        attempts = Attempts(self.retry, request.method, deadline=time.monotonic() + self.deadline)
        try:
            async with asyncio.timeout(self.deadline):
                return await self._send_until_final(request, attempts)
        except TimeoutError:
            pass  # our own deadline only: a cancellation from outside stays a CancelledError
        raise RequestTimeoutError(f"{request.method} {request.path}: no complete answer from "
                                  f"{describe_target(request.url)} within the {self.deadline:g} s deadline")

    async def _send_until_final(self, request: WireRequest, attempts: Attempts) -> WireResponse:
        while True:
            outcome: WireResponse | TransportError
            try:
                outcome = await self._send_once(request)
            except TransportError as error:  # raised outside any `except`: it carries no context
                outcome = error
            step = next_step(attempts, request, outcome, self.retry.retry_connection_errors)
            if step.error is not None:
                raise step.error
            if step.response is not None:
                return replace(step.response, elapsed=time.monotonic() - attempts.started)
            if step.wait:
                log.info("%s %s %s; retrying in %.2f s", request.method, request.path, step.why, step.wait)
                await asyncio.sleep(step.wait)
            request = step.request  # type: ignore[assignment]

    async def stream(self, request: WireRequest) -> AsyncOpenStream:
        """Send, and return once the status and headers are in, the body still on the wire (for answers
        read item by item). Retries and redirects as `send`; the read timeout bounds each wait for bytes."""
        attempts = Attempts(self.retry, request.method, deadline=None)
        while True:
            response = await self._open(request)
            head = WireResponse(response.status_code, CaseInsensitiveDict(response.headers.items()), b"",
                                response.reason_phrase or "")
            step = next_step(attempts, request, head, self.retry.retry_connection_errors)
            if step.response is not None:
                return AsyncOpenStream(head.status, head.headers, head.reason, self._chunks(request, response),
                                       read=functools.partial(self._read_rest, request, response, head),
                                       close=response.aclose)
            await response.aclose()  # a redirect or a retried answer is closed unread
            if step.error is not None:
                raise step.error
            if step.wait:
                log.info("%s %s %s; retrying in %.2f s", request.method, request.path, step.why, step.wait)
                await asyncio.sleep(step.wait)
            request = step.request  # type: ignore[assignment]

    async def _chunks(self, request: WireRequest, response: httpx2.Response) -> AsyncIterator[bytes]:
        problem: TransportError | None = None
        try:
            async for chunk in response.aiter_bytes():
                yield chunk
        except httpx2.TimeoutException:
            problem = RequestTimeoutError(f"{request.method} {request.path}: the stream from "
                                          f"{describe_target(request.url)} stopped arriving within the timeout")
        except httpx2.HTTPError as exc:
            problem = TransportError(f"{request.method} {request.path}: the connection broke while reading "
                                     f"the stream ({type(exc).__name__})")
        if problem is not None:
            raise problem

    async def _read_rest(self, request: WireRequest, response: httpx2.Response, head: WireResponse) -> WireResponse:
        try:
            content = await self._read_bounded(request, response)
        finally:
            await response.aclose()
        return replace(head, content=content)

    async def _open(self, request: WireRequest) -> httpx2.Response:
        """One request, up to its status and headers (the body is left on the wire)."""
        problem: TransportError | None = None
        try:
            built = self.client.build_request(
                request.method, request.url, headers=dict(request.headers), content=request.body,
                timeout=_request_timeout(request.timeout) if request.timeout else httpx2.USE_CLIENT_DEFAULT,
            )
            response = await self.client.send(built, stream=True, follow_redirects=False)
        except httpx2.PoolTimeout:
            problem = RequestTimeoutError(f"{request.method} {request.path}: no free connection to "
                                          f"{describe_target(request.url)} within the timeout")
        except httpx2.TimeoutException:
            problem = RequestTimeoutError(f"{request.method} {request.path}: no answer from "
                                          f"{describe_target(request.url)} within the timeout")
        except (httpx2.HTTPError, httpx2.InvalidURL) as exc:
            problem = TransportError(f"{request.method} {request.path}: {_connection_problem(exc)} "
                                     f"({describe_target(request.url)})")
        except (UnicodeError, ValueError):
            # h11 refuses header values it cannot encode; its message holds the value.
            problem = TransportError(f"{request.method} {request.path}: a header value cannot be sent "
                                     "(not Latin-1, or contains a line break)")
        if problem is not None:
            raise problem
        return response

    async def _send_once(self, request: WireRequest) -> WireResponse:
        response = await self._open(request)
        try:
            content = await self._read_bounded(request, response)
        finally:
            # On every way out, cancellation included: a body not read to its end closes the connection
            # instead of returning it to the pool.
            await response.aclose()
        # Headers as the sync transport gives them (requests' case-insensitive dict): the pipeline reads
        # Content-Type several times, and httpx2's Headers decode every header on each lookup.
        headers = CaseInsensitiveDict(response.headers.items())
        return WireResponse(response.status_code, headers, content, response.reason_phrase or "")

    async def _read_bounded(self, request: WireRequest, response: httpx2.Response) -> bytes:
        body = BodyBuffer(request, self.max_response_bytes)
        body.refuse_declared(response.headers.get("Content-Length"))
        broke, timed_out = "", False
        try:
            async with aclosing(response.aiter_bytes()) as chunks:  # chunks as they arrive, decoded
                async for chunk in chunks:
                    if not body.add(chunk):
                        break
        except httpx2.TimeoutException:
            timed_out = True
        except httpx2.HTTPError as exc:
            broke = type(exc).__name__
        if timed_out:
            raise RequestTimeoutError(f"{request.method} {request.path}: the answer from "
                                      f"{describe_target(request.url)} stopped arriving within the timeout")
        return body.content(broke)

    async def aclose(self) -> None:
        if self.owns_client:
            await self.client.aclose()


def _request_timeout(timeout: float | tuple[float, float]) -> httpx2.Timeout:
    connect, read = _connect_read(timeout)
    return httpx2.Timeout(read, connect=connect)


def _connection_problem(exc: Exception) -> str:
    """What went wrong, in plain words, from the exception's type and its chain (never its text)."""
    chain = exception_chain(exc)
    names = {type(item).__name__ for item in chain}
    if any(isinstance(item, ssl.SSLError) for item in chain):
        return "TLS handshake failed (certificate or protocol)"
    if "ConnectionRefusedError" in names:
        return "connection refused"
    if "gaierror" in names:
        return "the host name could not be resolved (DNS)"
    if isinstance(exc, (httpx2.UnsupportedProtocol, httpx2.InvalidURL)):
        return "the URL is not a valid http(s) URL"
    if isinstance(exc, (httpx2.RemoteProtocolError, httpx2.ReadError, httpx2.WriteError)):
        return "the connection broke (the server closed it or sent a malformed answer)"
    if isinstance(exc, httpx2.ConnectError):
        return "could not connect (ConnectError)"
    return f"the request failed ({type(exc).__name__})"
