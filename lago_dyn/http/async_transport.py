"""What `AsyncClient` sends with, and the one async send loop.

An async transport is any object with `async send(WireRequest) -> WireResponse` and `aclose()`
(`AsyncTransport`; streamed answers also need `stream`). `AsyncSendLoop` is the twin of
`base.SyncTransport`, stream or not: one attempt, then `wire.next_step` decides; retries are waited with
`asyncio.sleep`, so other calls run meanwhile, and the whole call is bounded by `deadline`. A subclass
(`httpx2_transport.Httpx2Transport`) says only how one exchange runs on its HTTP library.

Cancellation is part of the contract: a call cancelled while it waits for, or reads, an answer closes
that connection before the CancelledError leaves `send`, so no half-read connection goes back to the
pool, and nothing is left running in the background (no task is ever spawned here).
"""

from __future__ import annotations

import asyncio
import functools
import time
from dataclasses import replace
from typing import Any, AsyncIterator, Awaitable, Callable, NamedTuple, Protocol

from .base import TransportSettings, log
from ..codecs.streams import AsyncOpenStream
from ..errors import RequestTimeoutError, TransportError
from ..wire import Attempts, WireRequest, WireResponse, describe_target, next_step


class AsyncTransport(Protocol):
    async def send(self, request: WireRequest) -> WireResponse: ...

    async def aclose(self) -> None: ...


async def _nothing() -> None:
    return None


class AsyncAttempt(NamedTuple):
    """One attempt's outcome for `next_step`, what the call returns when it is final (`keep`), and how
    to let go of it when it is not (`drop`, awaited: close a stream left unread)."""

    outcome: WireResponse | TransportError
    keep: Callable[[WireResponse], Any] = lambda final: final
    drop: Callable[[], Awaitable[None]] = _nothing


class AsyncSendLoop(TransportSettings):
    """The async send loop. Subclasses give `_open` (up to the status and headers), `_response`,
    `_read_bounded`, `_chunks` and `_close` (of one answer)."""

    async def send(self, request: WireRequest) -> WireResponse:
        attempts = Attempts(self.retry, request.method, deadline=time.monotonic() + self.deadline)
        try:
            async with asyncio.timeout(self.deadline):
                final = await self._until_final(request, attempts, self._read_whole)
                return replace(final, elapsed=time.monotonic() - attempts.started)
        except TimeoutError:
            pass  # our own deadline only: a cancellation from outside stays a CancelledError
        raise RequestTimeoutError(f"{request.method} {request.path}: no complete answer from "
                                  f"{describe_target(request.url)} within the {self.deadline:g} s deadline")

    async def stream(self, request: WireRequest) -> AsyncOpenStream:
        """Send, and return once the status and headers are in, the body still on the wire (for answers
        read item by item). Retries and redirects as `send`; the read timeout bounds each wait for bytes."""
        return await self._until_final(request, Attempts(self.retry, request.method, deadline=None),
                                       self._read_head)

    async def _until_final(self, request: WireRequest, attempts: Attempts,
                           attempt: Callable[[WireRequest], Awaitable[AsyncAttempt]]) -> Any:
        while True:
            try:
                answer = await attempt(request)
            except TransportError as error:  # raised outside any `except`: it carries no context
                answer = AsyncAttempt(error)
            step = next_step(attempts, request, answer.outcome, self.retry.retry_connection_errors)
            if step.response is not None:
                return answer.keep(step.response)
            await answer.drop()  # a redirect or a retried answer is closed unread
            if step.error is not None:
                raise step.error
            if step.wait:
                log.info("%s %s %s; retrying in %.2f s", request.method, request.path, step.why, step.wait)
                await asyncio.sleep(step.wait)
            request = step.request  # type: ignore[assignment]

    async def _read_whole(self, request: WireRequest) -> AsyncAttempt:
        response = await self._open(request)
        try:
            content = await self._read_bounded(request, response)
        finally:
            # On every way out, cancellation included: a body not read to its end closes the connection
            # instead of returning it to the pool.
            await self._close(response)
        return AsyncAttempt(self._response(response, content))

    async def _read_head(self, request: WireRequest) -> AsyncAttempt:
        response = await self._open(request)
        head = self._response(response)
        return AsyncAttempt(head, keep=lambda _final: AsyncOpenStream(
            head.status, head.headers, head.reason, self._chunks(request, response),
            read=functools.partial(self._read_rest, request, response, head),
            close=functools.partial(self._close, response)), drop=functools.partial(self._close, response))

    async def _read_rest(self, request: WireRequest, response: Any, head: WireResponse) -> WireResponse:
        try:
            content = await self._read_bounded(request, response)
        finally:
            await self._close(response)
        return replace(head, content=content)

    async def _open(self, request: WireRequest) -> Any:
        raise NotImplementedError

    def _response(self, response: Any, content: bytes = b"") -> WireResponse:
        raise NotImplementedError

    async def _read_bounded(self, request: WireRequest, response: Any) -> bytes:
        raise NotImplementedError

    def _chunks(self, request: WireRequest, response: Any) -> AsyncIterator[bytes]:
        raise NotImplementedError

    async def _close(self, response: Any) -> None:
        raise NotImplementedError
