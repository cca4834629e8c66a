"""Transports that answer from a function of yours, for tests of code that uses lago_dyn (as httpx's
`MockTransport`): `Client(spec, transport=lago_dyn.MockTransport(handler))`, and
`AsyncClient(spec, transport=lago_dyn.AsyncMockTransport(handler))`.

`handler(request: WireRequest) -> WireResponse` (an async handler works for the async one). The answer goes
through the same send loop as a real one: retries of 429/503, redirects, the size cap and the deadline all
apply, so a test of "my code survives a 503" needs no server. Every request the loop sent is kept in
`requests`, in order, retries and redirects included.
"""

from __future__ import annotations

import inspect
from typing import Any, AsyncIterator, Awaitable, Callable, Iterator, Union

from requests.structures import CaseInsensitiveDict

from .async_transport import AsyncSendLoop
from .base import SyncTransport
from ..wire import BodyBuffer, WireRequest, WireResponse

Handler = Callable[[WireRequest], WireResponse]
AsyncHandler = Callable[[WireRequest], Union[WireResponse, Awaitable[WireResponse]]]


class _Answer:
    """The handler's answer as the send loop holds an HTTP library's response: readable, closable."""

    __slots__ = ("response",)

    def __init__(self, response: WireResponse):
        if not isinstance(response, WireResponse):
            raise TypeError(f"a MockTransport handler returns a lago_dyn.WireResponse, not "
                            f"{type(response).__name__}")
        self.response = response

    def close(self) -> None:
        pass


def _head(answer: _Answer, content: bytes = b"", elapsed: float = 0.0) -> WireResponse:
    given = answer.response
    return WireResponse(given.status, CaseInsensitiveDict(given.headers), content, given.reason, elapsed)


def _bounded(settings: Any, request: WireRequest, answer: _Answer) -> bytes:
    body = BodyBuffer(request, settings.max_response_bytes)
    body.add(answer.response.content)
    return body.content()


class MockTransport(SyncTransport):
    """A sync transport whose answers come from `handler`; `Client(..., transport=MockTransport(handler))`."""

    def __init__(self, handler: Handler, **settings: Any):
        super().__init__(**settings)
        self.handler = handler
        self.requests: list[WireRequest] = []

    def _open(self, request: WireRequest) -> _Answer:
        self.requests.append(request)
        return _Answer(self.handler(request))

    def _response(self, response: _Answer, content: bytes = b"", elapsed: float = 0.0) -> WireResponse:
        return _head(response, content, elapsed)

    def _read_bounded(self, request: WireRequest, response: _Answer) -> bytes:
        return _bounded(self, request, response)

    def _chunks(self, request: WireRequest, response: _Answer) -> Iterator[bytes]:
        yield response.response.content

    def _forget_parent_connections(self) -> None:
        pass  # nothing is pooled

    def close(self) -> None:
        pass


class AsyncMockTransport(AsyncSendLoop):
    """The async twin: `AsyncClient(..., transport=AsyncMockTransport(handler))`, `handler` sync or async."""

    def __init__(self, handler: AsyncHandler, **settings: Any):
        super().__init__(**settings)
        self.handler = handler
        self.requests: list[WireRequest] = []

    async def _open(self, request: WireRequest) -> _Answer:
        self.requests.append(request)
        answer = self.handler(request)
        if inspect.isawaitable(answer):
            answer = await answer
        return _Answer(answer)

    def _response(self, response: _Answer, content: bytes = b"") -> WireResponse:
        return _head(response, content)

    async def _read_bounded(self, request: WireRequest, response: _Answer) -> bytes:
        return _bounded(self, request, response)

    async def _chunks(self, request: WireRequest, response: _Answer) -> AsyncIterator[bytes]:
        yield response.response.content

    async def _close(self, response: _Answer) -> None:
        pass

    async def aclose(self) -> None:
        pass
