"""Lago's API rate limit as LocalLago plays it: `limit` requests per `window` seconds (a fixed window),
announced on every answer with the headers Lago sends (`x-ratelimit-limit`, `x-ratelimit-remaining`,
`x-ratelimit-reset`: seconds until the window resets), and past the budget a 429 with `Retry-After` and
Lago's error body, before the request is processed. So a client's back-off is tested against the real
headers, not a script.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Callable

#: Lago's body for a refused request (app/controllers/concerns/api_errors.rb's shape).
TOO_MANY_REQUESTS = {"status": 429, "error": "Too Many Requests", "code": "too_many_requests"}


class RateBudget:
    """`take()` counts a request and says whether it is within the budget, with the headers to answer."""

    def __init__(self, limit: int, window: float = 1.0, clock: Callable[[], float] = time.monotonic):
        if limit < 1 or window <= 0:
            raise ValueError(f"rate_limit must be at least 1 request per window of more than 0 s, "
                             f"not {limit} per {window} s")
        self.limit, self.window, self._clock = limit, window, clock
        self._started = clock()
        self._used = 0
        self._lock = threading.Lock()
        #: Requests refused so far (a test reads it to know the limit was reached).
        self.refused = 0

    def take(self) -> tuple[bool, dict[str, str]]:
        with self._lock:
            now = self._clock()
            if now - self._started >= self.window:
                self._started, self._used = now, 0
            allowed = self._used < self.limit
            self._used += allowed
            self.refused += not allowed
            reset = str(max(1, math.ceil(self._started + self.window - now)))
            headers = {"x-ratelimit-limit": str(self.limit), "x-ratelimit-remaining": str(self.limit - self._used),
                       "x-ratelimit-reset": reset}
            if not allowed:
                headers["Retry-After"] = reset
            return allowed, headers
