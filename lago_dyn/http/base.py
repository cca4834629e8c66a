"""What every transport is, and the one sync send loop.

A sync transport is anything with `send(WireRequest) -> WireResponse` and `close()` (`Transport`); tests
and users may plug their own into `Client(transport=...)` (`mock.MockTransport` is one). Operations whose
answers stream (OpenAPI 3.2 `itemSchema`) also need `stream(WireRequest) -> streams.OpenStream`.

`SyncTransport` is the send loop of both sync transports we make (requests', httpx2's), stream or not: one
attempt, then `wire.next_step` decides (the answer, an error, or the next request: a retry after its wait,
a redirect). A subclass says only how one exchange runs on its HTTP library. The async loop is its twin in
`async_transport.py`.
"""

from __future__ import annotations

import functools
import logging
import os
import time
from typing import Any, Callable, Iterator, NamedTuple, Protocol

from .deadline import Watch
from ..errors import RequestTimeoutError, TransportError
from ..codecs.streams import OpenStream
from ..wire import (
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_TIMEOUT,
    Attempts,
    RetryPolicy,
    Step,
    WireRequest,
    WireResponse,
    describe_target,
    next_step,
)

log = logging.getLogger("lago_dyn")


def default_deadline(timeout: float | tuple[float, float]) -> float:
    """The whole call's bound when none is given: connect + 2 x read (65 s for the default timeouts),
    room for a retry or a redirect, never forever."""
    connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
    return connect + 2 * read


class Attempt(NamedTuple):
    """What one attempt gave the send loop: its `outcome` for `wire.next_step` (an answer's head, or a
    TransportError), what the call returns when that outcome is final (`keep`), and how to let go of it
    when it is not (`drop`: close a stream left unread)."""

    outcome: WireResponse | TransportError
    keep: Callable[[WireResponse], Any] = lambda final: final
    drop: Callable[[], Any] = lambda: None


class Transport(Protocol):
    def send(self, request: WireRequest) -> WireResponse: ...

    def close(self) -> None: ...


class TransportSettings:
    """What every transport here is made with: `timeout` (connect, read) per wait, `deadline` for a whole
    call (default connect + 2 x read), the retry policy, the cap on a response body, TLS verification."""

    def __init__(self, *, timeout: float | tuple[float, float] = DEFAULT_TIMEOUT, deadline: float | None = None,
                 retry: RetryPolicy | None = None, max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
                 verify: bool | str = True):
        self.timeout = timeout
        self.deadline = deadline if deadline is not None else default_deadline(timeout)
        self.retry = retry or RetryPolicy()
        self.max_response_bytes = max_response_bytes
        self.verify = verify


class SyncTransport(TransportSettings):
    """The send loop both sync transports share (`RequestsTransport`, `httpx2_transport.Httpx2SyncTransport`):
    retries and redirects decided by `wire.next_step`, a whole call bounded by `deadline` (`deadline.py`),
    and no pooled socket of a parent process ever used by a forked child (gunicorn --preload, Celery
    prefork, multiprocessing: two processes reading one socket get each other's answers), so the pools are
    emptied the first time a child sends. A subclass says how one exchange runs on its HTTP library:
    `_open` (up to the status and headers), `_response`, `_read_bounded`, `_chunks`, and the answer's own
    `close()`."""

    def __init__(self, **settings: Any):
        super().__init__(**settings)
        self._pid = os.getpid()

    def send(self, request: WireRequest) -> WireResponse:
        self._check_process()
        attempts = Attempts(self.retry, request.method, deadline=time.monotonic() + self.deadline)
        return self._until_final(request, attempts, self._read_whole)

    def stream(self, request: WireRequest) -> OpenStream:
        """Send, and return once the status and headers are in, with the body still on the wire: for answers
        read item by item. Redirects and retries follow the rules of `send` (a retried answer is closed
        unread); the read timeout then bounds each wait for the next bytes, not the whole stream."""
        self._check_process()
        return self._until_final(request, Attempts(self.retry, request.method, deadline=None), self._read_head)

    def _until_final(self, request: WireRequest, attempts: Attempts,
                     attempt: Callable[[WireRequest, Attempts], "Attempt"]) -> Any:
        """The send loop: an attempt, then `next_step` says what its outcome means."""
        while True:
            try:
                answer = attempt(request, attempts)
            except TransportError as error:  # raised outside any `except`: it carries no context
                answer = Attempt(error)
            step = next_step(attempts, request, answer.outcome, self.retry.retry_connection_errors)
            if step.response is not None:
                return answer.keep(step.response)
            answer.drop()  # a redirect or a retried answer is closed unread
            if step.error is not None:
                raise step.error
            _wait(request, step)
            request = step.request  # type: ignore[assignment]

    def _read_whole(self, request: WireRequest, attempts: Attempts) -> "Attempt":
        """One exchange read to its end within the call's deadline; `elapsed` counts from the first attempt."""
        problem: TransportError | None = None
        response = None
        content = b""
        with Watch(attempts.deadline) as watch:  # type: ignore[arg-type]
            try:
                response = self._open(request)
            except TransportError as error:  # raised outside any `except`: it carries no context
                problem = error
            if response is not None:
                try:
                    content = self._read_bounded(request, response)
                except TransportError as error:
                    problem = error
                finally:
                    response.close()  # a body not read to its end closes the connection instead of pooling it
        if watch.expired:
            problem = RequestTimeoutError(f"{request.method} {request.path}: no complete answer from "
                                          f"{describe_target(request.url)} within the {self.deadline:g} s deadline")
        if problem is not None:
            raise problem
        return Attempt(self._response(response, content, time.monotonic() - attempts.started))

    def _read_head(self, request: WireRequest, attempts: Attempts) -> "Attempt":
        """One exchange up to its status and headers; kept, it becomes a stream of the body's bytes."""
        response = self._open(request)
        head = self._response(response)
        return Attempt(head, keep=lambda _final: OpenStream(
            head.status, head.headers, head.reason, self._chunks(request, response),
            read=functools.partial(self._read_rest, request, response), close=response.close), drop=response.close)

    def _read_rest(self, request: WireRequest, response: Any) -> WireResponse:
        try:
            content = self._read_bounded(request, response)
        finally:
            response.close()
        return self._response(response, content)

    def _check_process(self) -> None:
        if os.getpid() != self._pid:
            self._forget_parent_connections()
            self._pid = os.getpid()

    def _open(self, request: WireRequest) -> Any:
        """One request, up to its status and headers (the body is left on the wire); TransportError."""
        raise NotImplementedError

    def _response(self, response: Any, content: bytes = b"", elapsed: float = 0.0) -> WireResponse:
        raise NotImplementedError

    def _read_bounded(self, request: WireRequest, response: Any) -> bytes:
        """The whole body, refused past `max_response_bytes`; TransportError if it does not arrive."""
        raise NotImplementedError

    def _chunks(self, request: WireRequest, response: Any) -> Iterator[bytes]:
        """The body as it arrives, for streamed answers."""
        raise NotImplementedError

    def _forget_parent_connections(self) -> None:
        """Empty the pools without touching their sockets (the parent still uses them)."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


def _wait(request: WireRequest, step: Step) -> None:
    if step.wait:
        log.info("%s %s %s; retrying in %.2f s", request.method, request.path, step.why, step.wait)
        time.sleep(step.wait)


