"""Rate-limit headers, read: `Retry-After` (RFC 9110: seconds or an HTTP date), and the `x-ratelimit-*`
trio that Lago sends (GitHub and many others too): `x-ratelimit-limit` (requests allowed in the window),
`x-ratelimit-remaining` (left in it) and `x-ratelimit-reset` (seconds until it resets).

A client's `on_rate_limit` callback is given a `RateLimit` for every answer that carries them (a
self-hosted Lago that enforces no limit sends none), so a program can slow down before it is refused; a
429 becomes a `RateLimitError` whose `retry_after` says how long to wait.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable, Mapping


def retry_after_seconds(value: str | None, ceiling: float) -> float | None:
    """A `Retry-After` header (seconds or an HTTP date) as seconds within [0, ceiling]; None when absent
    or meaningless (`nan`, garbage)."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            import email.utils  # an HTTP date is rare: Retry-After is nearly always seconds

            seconds = email.utils.parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError, OverflowError, IndexError):
            return None
    if math.isnan(seconds):
        return None
    return min(max(0.0, seconds), ceiling)


#: The longest wait `retry_after` ever suggests (seconds): a bogus header must not park a worker for days.
MAX_RETRY_AFTER = 3600.0


@dataclass(frozen=True)
class RateLimit:
    """One answer's rate-limit headers; a field is None when its header is absent or not an integer."""

    limit: int | None
    remaining: int | None
    reset: int | None
    operation: str = ""

    @classmethod
    def from_headers(cls, headers: Mapping[str, str], operation: str = "") -> "RateLimit | None":
        """The headers' values, or None when the answer carries none of them."""
        lowered = _lowered(headers)
        values = [_integer(lowered.get(f"x-ratelimit-{name}")) for name in ("limit", "remaining", "reset")]
        if all(value is None for value in values):
            return None
        return cls(*values, operation=operation)

    @property
    def used(self) -> float | None:
        """The share of the window already used, 0.0 to 1.0 (None when limit or remaining is unknown)."""
        if self.limit is None or self.remaining is None or self.limit <= 0:
            return None
        return min(1.0, max(0.0, 1.0 - self.remaining / self.limit))


RateLimitCallback = Callable[[RateLimit], None]


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait after a 429: `Retry-After` (seconds or an HTTP date) when usable, else
    `x-ratelimit-reset`; bounded to [0, MAX_RETRY_AFTER]; None when neither is usable."""
    lowered = _lowered(headers)
    said = retry_after_seconds(lowered.get("retry-after"), MAX_RETRY_AFTER)
    if said is None:
        said = retry_after_seconds(lowered.get("x-ratelimit-reset"), MAX_RETRY_AFTER)
    return said


def _lowered(headers: Mapping[str, str]) -> dict[str, str]:
    return {str(key).lower(): value for key, value in headers.items()}


def _integer(value: str | None) -> int | None:
    try:
        return int(str(value).strip()) if value is not None else None
    except ValueError:
        return None
