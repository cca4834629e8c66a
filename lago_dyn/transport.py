"""The only module that touches the network: one `requests.Session` per client, explicit timeouts,
bounded retries, and a bounded read of the body.

A transport is anything with `send(WireRequest) -> WireResponse` and `close()`; tests and users may plug
their own (a fake, a recording proxy) into `Client(transport=...)`.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from dataclasses import dataclass, field
from typing import Mapping, Protocol

import requests

from .errors import RequestTimeoutError, TransportError

log = logging.getLogger("lago_dyn")

#: (connect, read) seconds. Never "forever": a hung server must not hang the caller.
DEFAULT_TIMEOUT = (5.0, 30.0)
#: A response body larger than this is refused instead of read into memory (bytes).
DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})


@dataclass(frozen=True)
class WireRequest:
    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes | None = None
    timeout: float | tuple[float, float] | None = None


@dataclass(frozen=True)
class WireResponse:
    status: int
    headers: Mapping[str, str]
    content: bytes
    reason: str = ""
    elapsed: float = 0.0  # seconds, including retries

    @property
    def media_type(self) -> str:
        return self.headers.get("Content-Type", "").split(";")[0].strip().lower()


class Transport(Protocol):
    def send(self, request: WireRequest) -> WireResponse: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class RetryPolicy:
    """Which answers are retried, how often, and for how long in total.

    Only idempotent methods are retried unless `retry_non_idempotent` is set: replaying a POST that the
    server may have processed could create a second invoice. The wait doubles from `backoff` with full
    jitter, or follows the server's `Retry-After`, and never exceeds `max_wait` per wait nor
    `max_total` overall."""

    retries: int = 2
    statuses: frozenset[int] = frozenset({429, 502, 503, 504})
    backoff: float = 0.5
    max_wait: float = 10.0
    max_total: float = 30.0
    retry_non_idempotent: bool = False
    retry_connection_errors: bool = True

    def applies_to(self, method: str) -> bool:
        return self.retries > 0 and (self.retry_non_idempotent or method in IDEMPOTENT_METHODS)

    def wait(self, attempt: int, retry_after: str | None) -> float:
        server_says = _retry_after_seconds(retry_after)
        if server_says is not None:
            return min(server_says, self.max_wait)
        return random.uniform(0, min(self.backoff * (2**attempt), self.max_wait))


NO_RETRIES = RetryPolicy(retries=0)


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


@dataclass
class RequestsTransport:
    """Sends with a `requests.Session` (connection reuse, the user's proxies and certificates)."""

    session: requests.Session = field(default_factory=requests.Session)
    timeout: float | tuple[float, float] = DEFAULT_TIMEOUT
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    verify: bool | str = True
    #: Whether `close()` closes the session (not when the user supplied it).
    owns_session: bool = True

    def send(self, request: WireRequest) -> WireResponse:
        started = time.monotonic()
        attempt = 0
        retries = self.retry.applies_to(request.method)
        while True:
            try:
                response = self._send_once(request)
            except TransportError as exc:
                if retries and self.retry.retry_connection_errors and self._may_retry(attempt, started, 0.0) \
                        and not isinstance(exc, RequestTimeoutError):
                    delay = self.retry.wait(attempt, None)
                    log.info("%s %s failed (%s); retrying in %.2f s", request.method, _path(request.url), exc, delay)
                    time.sleep(delay)
                    attempt += 1
                    continue
                raise
            if retries and response.status in self.retry.statuses:
                delay = self.retry.wait(attempt, response.headers.get("Retry-After"))
                if self._may_retry(attempt, started, delay):
                    log.info("%s %s -> %s; retry %d in %.2f s", request.method, _path(request.url),
                             response.status, attempt + 1, delay)
                    time.sleep(delay)
                    attempt += 1
                    continue
            return WireResponse(response.status, response.headers, response.content, response.reason,
                                time.monotonic() - started)

    def _may_retry(self, attempt: int, started: float, delay: float) -> bool:
        return attempt < self.retry.retries and time.monotonic() - started + delay <= self.retry.max_total

    def _send_once(self, request: WireRequest) -> WireResponse:
        try:
            response = self.session.request(
                request.method, request.url, headers=dict(request.headers), data=request.body,
                timeout=request.timeout or self.timeout, stream=True, verify=self.verify,
            )
        except requests.Timeout:
            raise RequestTimeoutError(f"{request.method} {_path(request.url)}: no answer within the timeout") from None
        except requests.RequestException as exc:
            raise TransportError(f"{request.method} {_path(request.url)}: {type(exc).__name__}: {_reason(exc)}") from None
        with response:
            content = self._read_bounded(request, response)
        return WireResponse(response.status_code, response.headers, content, response.reason or "")

    def _read_bounded(self, request: WireRequest, response: requests.Response) -> bytes:
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > self.max_response_bytes:
            raise TransportError(f"{request.method} {_path(request.url)}: response of {int(declared):,} bytes "
                                 f"is over the {self.max_response_bytes:,}-byte limit")
        chunks, total = [], 0
        try:
            for chunk in response.iter_content(chunk_size=65536):
                total += len(chunk)
                if total > self.max_response_bytes:
                    raise TransportError(f"{request.method} {_path(request.url)}: response is over the "
                                         f"{self.max_response_bytes:,}-byte limit")
                chunks.append(chunk)
        except requests.RequestException as exc:
            raise TransportError(f"{request.method} {_path(request.url)}: the connection broke while reading "
                                 f"the response ({type(exc).__name__})") from None
        return b"".join(chunks)

    def close(self) -> None:
        if self.owns_session:
            self.session.close()


def _path(url: str) -> str:
    """The URL without its query string: query values may be personal data, so logs and errors omit it."""
    return url.split("?", 1)[0]


def _reason(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) <= 200 else text[:199] + "…"
