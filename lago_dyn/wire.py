"""What crosses the wire, as plain data: the request a call prepared, the response a transport read, and the
rules every transport shares (which answers are retried, which redirects are followed).

Nothing here does I/O, so the sync and the async transports apply the same rules. A request knows which of
its headers and query parameters are secret (the auth providers mark them), so its repr, and every message
built from it, redacts them by construction.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Mapping
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from .errors import RequestTimeoutError, ResponseTooLargeError, TransportError
from .rate_limits import retry_after_seconds

#: (connect, read) seconds. Never "forever": a hung server must not hang the caller.
DEFAULT_TIMEOUT = (5.0, 30.0)
#: A response body larger than this is refused instead of read into memory (bytes).
DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024
#: Connections kept open per host, by each transport.
DEFAULT_POOL_MAXSIZE = 10
#: How many redirects one call follows before it gives up.
MAX_REDIRECTS = 10
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE", "QUERY"})
REDACTED = "<redacted>"


@dataclass(frozen=True)
class WireRequest:
    """One HTTP request, ready to send. `secret_headers` (lower-case names) and `secret_query` name the
    values that carry credentials: they never appear in a repr, a log line or an error message."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes | None = None
    timeout: float | tuple[float, float] | None = None
    secret_headers: frozenset[str] = frozenset()
    secret_query: frozenset[str] = frozenset()

    @property
    def path(self) -> str:
        """The URL without its query: what messages and logs show (query values may be personal data)."""
        return self.url.split("?", 1)[0]

    def redacted_headers(self) -> dict[str, str]:
        return {key: REDACTED if key.lower() in self.secret_headers else value for key, value in self.headers.items()}

    def redacted_url(self) -> str:
        parts = urlsplit(self.url)
        if not parts.query:
            return self.url
        pairs = [(key, REDACTED if key in self.secret_query else value)
                 for key, value in parse_qsl(parts.query, keep_blank_values=True)]
        return urlunsplit(parts._replace(query=urlencode(pairs, safe="[]<>")))

    def __repr__(self) -> str:
        size = 0 if self.body is None else len(self.body)
        return (f"WireRequest({self.method} {self.redacted_url()}, headers={self.redacted_headers()!r}, "
                f"body={size} bytes)")


@dataclass(frozen=True)
class WireResponse:
    status: int
    headers: Mapping[str, str]
    content: bytes
    reason: str = ""
    elapsed: float = 0.0  # seconds, including retries and redirects

    @property
    def media_type(self) -> str:
        return media_type_of(self.headers.get("Content-Type", ""))

    def __repr__(self) -> str:
        return f"WireResponse({self.status} {self.reason}, {self.media_type or 'no type'}, {len(self.content)} bytes)"


def media_type_of(content_type: str) -> str:
    """`application/json; charset=utf-8` -> `application/json`."""
    return content_type.partition(";")[0].strip().lower()


@dataclass(frozen=True)
class RetryPolicy:
    """Which answers are retried, how often, and for how long in total.

    Only idempotent methods are retried unless `retry_non_idempotent` is set: replaying a POST that the
    server may have processed could create a second invoice. A status in `retried_for_every_method` (429:
    the server refused the request before processing it) is retried whatever the method. The wait doubles
    from `backoff` with full jitter, or follows the server's `Retry-After`, and never exceeds `max_wait`
    per wait nor `max_total` overall."""

    retries: int = 2
    statuses: frozenset[int] = frozenset({429, 502, 503, 504})
    backoff: float = 0.5
    max_wait: float = 10.0
    max_total: float = 30.0
    retry_non_idempotent: bool = False
    retry_connection_errors: bool = True
    retried_for_every_method: frozenset[int] = frozenset({429})

    def applies_to(self, method: str, status: int | None = None) -> bool:
        """Whether an answer with `status` (None: no answer) to `method` may be retried at all (how often is
        `may_retry`'s to say: with `retries=0`, never)."""
        return self.retry_non_idempotent or method in IDEMPOTENT_METHODS or status in self.retried_for_every_method

    def wait(self, attempt: int, retry_after: str | None) -> float:
        server_says = retry_after_seconds(retry_after, self.max_wait)
        if server_says is not None:
            return server_says
        import random  # retries are rare: not at import time

        return random.uniform(0, min(self.backoff * (2**attempt), self.max_wait))

    def may_retry(self, attempt: int, elapsed: float, delay: float) -> bool:
        return attempt < self.retries and elapsed + delay <= self.max_total


NO_RETRIES = RetryPolicy(retries=0)


@dataclass(frozen=True)
class Redirect:
    """The request to send next after a redirect answer, or why it is not followed."""

    request: WireRequest | None
    refused: str = ""


_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


def is_redirect(response: WireResponse) -> bool:
    return response.status in _REDIRECT_STATUSES and bool(response.headers.get("Location"))


def follow(request: WireRequest, response: WireResponse) -> Redirect:
    """The next request after a redirect (RFC 9110 §15.4). 303, and 301/302 after a POST, become a GET
    without a body; 307/308 repeat the method and body. A redirect from https to http is refused: it would
    send the body, and read the answer, in clear text. Leaving the origin drops every secret header."""
    target = urljoin(request.url, response.headers["Location"])
    old, new = urlsplit(request.url), urlsplit(target)
    if new.scheme not in ("http", "https"):
        return Redirect(None, f"a redirect to a {new.scheme}: URL")  # urljoin keeps http(s) unless told another
    if old.scheme == "https" and new.scheme == "http":
        return Redirect(None, "a redirect from https to http (it would send the request in clear text)")
    method, body = request.method, request.body
    headers = dict(request.headers)
    if response.status == 303 or (response.status in (301, 302) and method == "POST"):
        method = "GET" if method != "HEAD" else method
        body = None
        headers = {k: v for k, v in headers.items() if k.lower() not in ("content-type", "content-length")}
    secret_query = request.secret_query
    if (old.scheme, old.hostname, old.port) != (new.scheme, new.hostname, new.port):
        headers = {k: v for k, v in headers.items() if k.lower() not in request.secret_headers}
        secret_query = frozenset()
    return Redirect(replace(request, method=method, url=target, headers=headers, body=body,
                            secret_query=secret_query))


@dataclass
class Attempts:
    """The bookkeeping of one call's send loop (attempts, redirects, deadline), shared by the sync and
    async transports so that both retry and give up alike."""

    policy: RetryPolicy
    method: str
    deadline: float | None  # time.monotonic() value, or None for no overall deadline
    started: float = field(default_factory=time.monotonic)
    attempt: int = 0
    redirects: int = 0

    def remaining(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.monotonic()

    def retry_delay(self, status: int | None, retry_after: str | None) -> float | None:
        """Seconds to wait before the next attempt, or None when this outcome is final."""
        if status is not None and status not in self.policy.statuses:
            return None
        if not self.policy.applies_to(self.method, status):
            return None
        delay = self.policy.wait(self.attempt, retry_after)
        remaining = self.remaining()
        if remaining is not None and delay >= remaining:
            return None
        if not self.policy.may_retry(self.attempt, time.monotonic() - self.started, delay):
            return None
        self.attempt += 1
        return delay


def describe_target(url: str) -> str:
    """`host:port` of a URL, for messages about connections (never the path's query)."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.hostname}:{port}"


@dataclass(frozen=True)
class Step:
    """What a send loop does after one exchange: return `response`, raise `error`, or wait `wait` seconds
    and send `request` (a retry of the same request, or the redirected one)."""

    response: WireResponse | None = None
    error: Exception | None = None
    request: WireRequest | None = None
    wait: float = 0.0
    why: str = ""  # for the INFO log line of a retry


def next_step(attempts: Attempts, request: WireRequest, outcome: "WireResponse | Exception",
              retry_connection_errors: bool) -> Step:
    """The one decision every transport's send loop makes, so sync and async retry and redirect alike.
    `outcome` is the answer, or the TransportError the exchange raised (a timeout, a response over the size
    limit, or a redirect refused is final; a broken connection is retried where the policy allows)."""
    if isinstance(outcome, Exception):
        final = isinstance(outcome, (RequestTimeoutError, ResponseTooLargeError)) or not retry_connection_errors
        delay = None if final else attempts.retry_delay(None, None)
        if delay is None:
            return Step(error=outcome)
        return Step(request=request, wait=delay, why=f"failed ({outcome})")
    if is_redirect(outcome):
        attempts.redirects += 1
        if attempts.redirects > MAX_REDIRECTS:
            return Step(error=TransportError(f"{request.method} {request.path}: more than {MAX_REDIRECTS} redirects"))
        redirect = follow(request, outcome)
        if redirect.request is None:
            return Step(error=TransportError(f"{request.method} {request.path}: not following {redirect.refused}"))
        return Step(request=redirect.request)
    delay = attempts.retry_delay(outcome.status, outcome.headers.get("Retry-After"))
    if delay is None:
        return Step(response=outcome)
    return Step(request=request, wait=delay, why=f"-> {outcome.status}; retry {attempts.attempt}")


class BodyBuffer:
    """A response body collected up to `limit` bytes, for both transports: the declared length is checked
    before reading, the running total while reading, and the errors say so in our words."""

    def __init__(self, request: WireRequest, limit: int):
        self.request = request
        self.limit = limit
        self.chunks: list[bytes] = []
        self.total = 0

    def refuse_declared(self, content_length: str | None) -> None:
        if content_length and content_length.isdigit() and int(content_length) > self.limit:
            raise ResponseTooLargeError(f"{self.request.method} {self.request.path}: response of "
                                        f"{int(content_length):,} bytes is over the {self.limit:,}-byte limit")

    def add(self, chunk: bytes) -> bool:
        """Keep a chunk; False once the body is over the limit (stop reading)."""
        self.total += len(chunk)
        if self.total > self.limit:
            return False
        self.chunks.append(chunk)
        return True

    def content(self, broke: str = "") -> bytes:
        """The body, or the error for a connection that broke (`broke`: the exception's type) or a body
        over the limit."""
        where = f"{self.request.method} {self.request.path}"
        if broke:
            raise TransportError(f"{where}: the connection broke while reading the response ({broke})")
        if self.total > self.limit:
            raise ResponseTooLargeError(f"{where}: response is over the {self.limit:,}-byte limit")
        return b"".join(self.chunks)


def exception_chain(exc: BaseException) -> list[BaseException]:
    """An exception and what caused it (`__cause__`, else `__context__`; requests and httpx2 raise theirs
    inside `except` blocks or `from` the cause, so the whole story is there): both transports read the
    failure's kind from the types here, never from the text, which can hold a URL or a header. A cycle
    ends the walk."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def chain_problem(exc: BaseException) -> str | None:
    """The plain words, the same for every transport, for what an exception's chain shows whatever the
    HTTP library raised it: a TLS failure, a refused connection or an unknown host (read from the types'
    names: `ssl`'s errors are all named SSL...). None when the chain shows none of them."""
    names = {type(item).__name__ for item in exception_chain(exc)}
    if any("SSL" in name for name in names):
        return "TLS handshake failed (certificate or protocol)"
    if "ConnectionRefusedError" in names:
        return "connection refused"
    if "gaierror" in names:  # urllib3's NameResolutionError is raised from it
        return "the host name could not be resolved (DNS)"
    return None
