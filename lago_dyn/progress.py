"""Progress on long work (every page of a list, a bulk import): `track(iterable, total, desc)`.

On a terminal, tqdm draws the bar when it is installed. Otherwise (no tqdm, or stderr is a file or a CI
console, where a redrawn bar is clutter) a plain line at most once a second. Nothing is shown for work
that ends within the first second.
"""

from __future__ import annotations

import sys
import time
from typing import IO, Iterable, Iterator, TypeVar

Item = TypeVar("Item")

#: Seconds between two plain progress lines.
INTERVAL = 1.0


def track(iterable: Iterable[Item], total: int | None = None, desc: str = "", *,
          stream: IO[str] | None = None, use_tqdm: bool = True) -> Iterator[Item]:
    """Yield the items of `iterable`, showing how many have passed (of `total`, when known) on `stream`
    (default: stderr)."""
    stream = stream or sys.stderr
    if use_tqdm and stream.isatty():
        try:
            from tqdm import tqdm
        except ImportError:
            pass
        else:
            yield from tqdm(iterable, total=total, desc=desc or None, file=stream, leave=False)
            return
    yield from _plain(iterable, total, desc, stream)


def _plain(iterable: Iterable[Item], total: int | None, desc: str, stream: IO[str]) -> Iterator[Item]:
    started = last = time.monotonic()
    count = 0
    shown = False
    for item in iterable:
        yield item
        count += 1
        now = time.monotonic()
        if now - last >= INTERVAL:
            last = now
            shown = True
            print(_line(desc, count, total, now - started), file=stream, flush=True)
    if shown:
        print(_line(desc, count, total, time.monotonic() - started) + " done", file=stream, flush=True)


def _line(desc: str, count: int, total: int | None, elapsed: float) -> str:
    of = f"/{total}" if total is not None else ""
    rate = f", {count / elapsed:.1f}/s" if elapsed > 0 else ""
    return f"{desc + ': ' if desc else ''}{count}{of} in {elapsed:.0f} s{rate}"
