"""A whole-call deadline for the sync transports. Timeouts bound each wait for a byte; a server that drips
one byte a second never trips them. So a call registers its deadline with one shared watchdog thread, and
the connection it uses registers itself with the call (`claim`: requests' through the pool classes of
`DeadlineAdapter`, httpx2's through the network streams of `httpx2_transport`);
when the deadline passes, the watchdog shuts that socket down, the blocked read returns, and the transport
reports the deadline. One thread for all clients; registering costs a heap push.
"""

from __future__ import annotations

import heapq
import itertools
import socket
import threading
import time
from typing import Any

import requests.adapters
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_current = threading.local()


class Watch:
    """One call's deadline, and the connection it is using."""

    __slots__ = ("when", "connection", "expired", "done")

    def __init__(self, when: float):
        self.when = when
        self.connection: Any = None
        self.expired = False
        self.done = False

    def __enter__(self) -> "Watch":
        _current.watch = self
        _WATCHDOG.add(self)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.done = True
        self.connection = None  # the pool has it back: a finished call's watch holds no socket
        _current.watch = None


class _Watchdog:
    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Watch]] = []
        self._counter = itertools.count()
        self._condition = threading.Condition()
        self._thread: threading.Thread | None = None
        self._wakes_at = 0.0  # when the watchdog's current wait ends (time.monotonic())

    def add(self, watch: Watch) -> None:
        with self._condition:
            # Finished calls leave the heap here, not only when the watchdog wakes at their deadline: a
            # client making 2,000 calls a second would otherwise keep 130,000 of them for 65 s.
            while self._heap and self._heap[0][2].done:
                heapq.heappop(self._heap)
            heapq.heappush(self._heap, (watch.when, next(self._counter), watch))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="lago_dyn-deadlines", daemon=True)
                self._thread.start()
            elif watch.when < self._wakes_at:
                # Only a deadline earlier than the watchdog's wait wakes it: waking it on every call would
                # cost each call a thread switch.
                self._condition.notify()

    def _run(self) -> None:
        with self._condition:
            while True:
                while self._heap and self._heap[0][2].done:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._wakes_at = time.monotonic() + 30.0
                    self._condition.wait(30.0)
                    if not self._heap:
                        self._thread = None
                        return
                    continue
                delay = self._heap[0][0] - time.monotonic()
                if delay > 0:
                    self._wakes_at = self._heap[0][0]
                    self._condition.wait(delay)
                    continue
                _, _, watch = heapq.heappop(self._heap)
                if not watch.done:
                    watch.expired = True
                    _shut(watch.connection)


def _shut(connection: Any) -> None:
    sock = getattr(connection, "sock", None)
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already closed


_WATCHDOG = _Watchdog()


def claim(connection: Any) -> None:
    """Called by a connection (anything with a `sock`) as it sends a request: it is the one the current
    call's deadline shuts down. Outside a call it does nothing."""
    watch = getattr(_current, "watch", None)
    if watch is not None:
        watch.connection = connection
        if watch.expired:
            _shut(connection)


class _WatchedHTTPConnection(HTTPConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        claim(self)
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(HTTPSConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        claim(self)
        super().request(*args, **kwargs)


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class DeadlineAdapter(requests.adapters.HTTPAdapter):
    """requests' adapter whose connections make themselves known to the call's deadline."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}
