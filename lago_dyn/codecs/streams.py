"""Answers that are sequences of items (OpenAPI 3.2's sequential media types with `itemSchema`), read as
they arrive: Server-Sent Events, JSON Lines / NDJSON, JSON Text Sequences and `multipart/mixed`.

A decoder is pure and incremental: bytes chunks in (`feed`), whole items out, then `end()` when the
connection is done. It holds only the item being read, never the answer, so a stream of any length runs
in bounded memory, and one item larger than `max_item_bytes` is refused instead of filling it. The sync
client drives a decoder with `ItemStream`; an async client drives the same decoders from its own loop.

An item that cannot be read (a line that is not JSON) comes out as `Malformed`, in its place, so the
caller decides (the pipeline raises at that item in strict mode) and the items before it are delivered.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from typing import Any, AsyncIterator, Awaitable, Callable, Iterator, Mapping, Protocol

from ..errors import TransportError
from ..models import ApiObject, parse_json
from ..wire import DEFAULT_MAX_RESPONSE_BYTES, WireResponse, media_type_of


@dataclass(frozen=True)
class Malformed:
    """An item that could not be decoded: the rule it broke, why, and its raw bytes (bounded)."""

    rule: str
    reason: str
    raw: bytes = b""


class Decoder(Protocol):
    def feed(self, chunk: bytes) -> list[Any]: ...

    def end(self) -> list[Any]: ...


class ItemTooLarge(ValueError):
    """One item is over the decoder's limit: reading on would hold it all in memory."""


def _json_item(raw: bytes) -> Any:
    try:
        return parse_json(raw)
    except (ValueError, RecursionError) as exc:
        return Malformed("json", f"not valid JSON ({type(exc).__name__})", raw[:200])


class _Bounded:
    def __init__(self, max_item_bytes: int = DEFAULT_MAX_RESPONSE_BYTES):
        self.max_item_bytes = max_item_bytes

    def _check_size(self, pending: int) -> None:
        if pending > self.max_item_bytes:
            raise ItemTooLarge(f"one item of the stream is over the {self.max_item_bytes:,}-byte limit")


class JsonLines(_Bounded):
    """`application/jsonl` and `application/x-ndjson`: one JSON value per line; blank lines are skipped."""

    def __init__(self, max_item_bytes: int = DEFAULT_MAX_RESPONSE_BYTES):
        super().__init__(max_item_bytes)
        self._pending = b""

    def feed(self, chunk: bytes) -> list[Any]:
        *lines, self._pending = (self._pending + chunk).split(b"\n")
        self._check_size(len(self._pending))
        return [_json_item(line) for line in lines if line.strip()]

    def end(self) -> list[Any]:
        last, self._pending = self._pending, b""
        return [_json_item(last)] if last.strip() else []


class JsonSequence(_Bounded):
    """`application/json-seq` (RFC 7464): each JSON text follows a record separator (0x1E) and ends with
    a line feed. A record is given out as soon as it ends with a line feed and parses, without waiting for
    the next separator (which may come much later)."""

    SEPARATOR = b"\x1e"

    def __init__(self, max_item_bytes: int = DEFAULT_MAX_RESPONSE_BYTES):
        super().__init__(max_item_bytes)
        self._pending = b""
        self._started = False  # whether the first separator was seen

    def feed(self, chunk: bytes) -> list[Any]:
        *records, self._pending = (self._pending + chunk).split(self.SEPARATOR)
        items = []
        for record in records:
            if self._started or record.strip():
                items.extend(self._record(record))
            self._started = True
        if self._started and self._pending.endswith(b"\n"):
            item = _json_item(self._pending)
            if not isinstance(item, Malformed):  # complete: RFC 7464 ends every text with a line feed
                items.append(item)
                self._pending = b""
        self._check_size(len(self._pending))
        return items

    def _record(self, record: bytes) -> list[Any]:
        if not record.strip():
            return []  # what the eager read above already gave out leaves an empty record behind
        if not self._started:
            return [Malformed("json-seq", "text before the first record separator", record[:200])]
        return [_json_item(record)]

    def end(self) -> list[Any]:
        last, self._pending = self._pending, b""
        return self._record(last) if (self._started or last.strip()) else []


_LINE_END = re.compile(r"\r\n|\r|\n")


class EventStream(_Bounded):
    """`text/event-stream`, parsed as the HTML standard says: UTF-8, lines ending in CRLF, LF or CR,
    comments and unknown fields ignored, `data` lines joined with line feeds, an event given out at a
    blank line (and only if it has data), `retry` a number only when it is all digits, an `id` holding
    NUL ignored. Each event is an object with the fields it set: `{"data", "event", "id", "retry"}`
    (what OpenAPI 3.2 validates against `itemSchema`). An event the stream ends in the middle of is
    dropped, as a browser drops it."""

    def __init__(self, max_item_bytes: int = DEFAULT_MAX_RESPONSE_BYTES):
        super().__init__(max_item_bytes)
        self._text = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._line = ""
        self._first = True
        self._after_cr = False
        self._event: dict[str, Any] = {}
        self._data: list[str] = []
        self._size = 0

    def feed(self, chunk: bytes) -> list[Any]:
        text = self._text.decode(chunk)
        if self._first and text:
            text, self._first = text.removeprefix("\ufeff"), False
        if self._after_cr and text.startswith("\n"):
            text = text[1:]  # the second half of a CRLF split between two chunks
        if text:
            self._after_cr = text.endswith("\r")
        events: list[Any] = []
        start = 0
        for match in _LINE_END.finditer(text):
            line = self._line + text[start:match.start()]
            self._line, start = "", match.end()
            self._field(line, events)
        self._line += text[start:]
        self._check_size(len(self._line) + self._size)
        return events

    def _field(self, line: str, events: list[Any]) -> None:
        if not line:
            if self._data:
                events.append(ApiObject(self._event, data="\n".join(self._data)))
            self._event, self._data, self._size = {}, [], 0
            return
        if line.startswith(":"):
            return
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
            self._size += len(value) + 1
        elif name == "event":
            self._event["event"] = value
        elif name == "id" and "\0" not in value:
            self._event["id"] = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self._event["retry"] = int(value)

    def end(self) -> list[Any]:
        return []


class MultipartItems(_Bounded):
    """`multipart/mixed` (RFC 2046): each part is an item, its content decoded by the part's own
    Content-Type (JSON as data, `text/*` as str, else bytes; no type means text/plain). Preamble and
    epilogue are skipped."""

    def __init__(self, boundary: str, max_item_bytes: int = DEFAULT_MAX_RESPONSE_BYTES):
        super().__init__(max_item_bytes)
        self._delimiter = b"--" + boundary.encode("latin-1")
        self._pending = b""
        self._state = "preamble"  # then "delimiter line", "part", and "done" after the closing delimiter

    def feed(self, chunk: bytes) -> list[Any]:
        self._pending += chunk
        parts: list[Any] = []
        while self._step(parts):
            pass
        self._check_size(len(self._pending))
        return parts

    def _step(self, parts: list[Any]) -> bool:
        """One move of the parser; False when it needs more bytes."""
        if self._state == "preamble":
            found = self._pending.find(self._delimiter)
            if found < 0:
                self._pending = self._pending[-len(self._delimiter):]
                return False
            self._pending, self._state = self._pending[found + len(self._delimiter):], "delimiter line"
            return True
        if self._state == "delimiter line":
            if self._pending.startswith(b"--"):
                self._pending, self._state = b"", "done"
                return False
            line_end = self._pending.find(b"\r\n")
            if line_end < 0:
                return False
            self._pending, self._state = self._pending[line_end + 2:], "part"
            return True
        if self._state == "part":
            found = self._pending.find(b"\r\n" + self._delimiter)
            if found < 0:
                return False
            parts.append(_part_item(self._pending[:found]))
            self._pending, self._state = self._pending[found + 2 + len(self._delimiter):], "delimiter line"
            return True
        self._pending = b""  # the epilogue
        return False

    def end(self) -> list[Any]:
        if self._state == "part" and self._pending.strip():
            return [Malformed("multipart", "the stream ended inside a part (no closing boundary)",
                              self._pending[:200])]
        return []


def _part_item(part: bytes) -> Any:
    from . import media as media_codecs

    head, separator, content = part.partition(b"\r\n\r\n")
    if not separator:
        head, content = (b"", part[2:]) if part.startswith(b"\r\n") else (part, b"")
    content_type = "text/plain"
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-type":
            content_type = value.strip().decode("latin-1")
    try:
        return media_codecs.decode(content, content_type)
    except (ValueError, RecursionError) as exc:
        return Malformed("json", f"a {media_type_of(content_type)} part is not valid JSON ({type(exc).__name__})",
                         content[:200])


_DECODERS: dict[str, Callable[[int], Decoder]] = {
    "text/event-stream": EventStream,
    "application/jsonl": JsonLines,
    "application/x-ndjson": JsonLines,
    "application/json-seq": JsonSequence,
}


def decoder_for(content_type: str, max_item_bytes: int = DEFAULT_MAX_RESPONSE_BYTES) -> Decoder | None:
    """The decoder for an answer's Content-Type, or None when it is not a sequential type we read
    (or is multipart without a boundary)."""
    media_type = media_type_of(content_type)
    if media_type == "multipart/mixed":
        boundary = _parameter(content_type, "boundary")
        return MultipartItems(boundary, max_item_bytes) if boundary else None
    make = _DECODERS.get(media_type)
    return make(max_item_bytes) if make is not None else None


def _parameter(content_type: str, wanted: str) -> str | None:
    for parameter in content_type.split(";")[1:]:
        key, _, value = parameter.partition("=")
        if key.strip().lower() == wanted:
            return value.strip().strip('"') or None
    return None


# -- an open answer, and its items as an iterator ---------------------------------------------------------


@dataclass
class OpenStream:
    """An answer whose status and headers have arrived and whose body has not been read: what a transport's
    `stream(request)` returns. `chunks` gives the body as it arrives; `read()` reads the rest (bounded) as an
    ordinary `WireResponse` and closes; `close()` drops the connection (a half-read one is never reused)."""

    status: int
    headers: Mapping[str, str]
    reason: str
    chunks: Iterator[bytes]
    read: Callable[[], WireResponse]
    close: Callable[[], None]


def _batches(chunks: Iterator[bytes], decoder: Decoder) -> Iterator[list[Any]]:
    for chunk in chunks:
        yield decoder.feed(chunk)
    yield decoder.end()


#: What an item check returns for an item that is to be dropped (a malformed one reported as a warning).
SKIP = object()


class ItemStream:
    """The items of a streamed answer, each decoded and checked as it arrives; iterate it once. It closes
    the connection when the items run out, when a check raises (after the items before it were given),
    and on `close()` or leaving a `with` block, so stopping early never leaves a half-read connection."""

    def __init__(self, chunks: Iterator[bytes], decoder: Decoder, check: Callable[[Any, int], Any],
                 close: Callable[[], None], label: str = "stream"):
        self._items = self._read(chunks, decoder, check, label)
        self._close = close
        self.closed = False

    def _read(self, chunks: Iterator[bytes], decoder: Decoder, check: Callable[[Any, int], Any],
              label: str) -> Iterator[Any]:
        index = 0
        too_large = None
        try:
            for batch in _batches(chunks, decoder):
                for item in batch:
                    checked = check(item, index)
                    index += 1
                    if checked is not SKIP:
                        yield checked
        except ItemTooLarge as problem:
            too_large = f"{label}: item {index}: {problem}"
        finally:
            self._release()
        if too_large is not None:
            raise TransportError(too_large)

    def __iter__(self) -> "ItemStream":
        return self

    def __next__(self) -> Any:
        return next(self._items)

    def close(self) -> None:
        self._items.close()  # a generator that started runs its `finally` (and so releases) here
        self._release()

    def _release(self) -> None:
        if not self.closed:
            self.closed = True
            self._close()

    def __enter__(self) -> "ItemStream":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<ItemStream {'closed' if self.closed else 'open'}>"


@dataclass(frozen=True)
class AsyncOpenStream:
    """`OpenStream` for the async transport: `chunks` is an async iterator, `read()` and `close()` are
    awaited."""

    status: int
    headers: Mapping[str, str]
    reason: str
    chunks: AsyncIterator[bytes]
    read: Callable[[], Awaitable[WireResponse]]
    close: Callable[[], Awaitable[None]]


class AsyncItemStream:
    """`ItemStream` for `AsyncClient`: `async for item in stream`, the same decoders and checks; the
    connection is closed when the items run out, when a check raises, and on `aclose()` or leaving an
    `async with` block."""

    def __init__(self, chunks: AsyncIterator[bytes], decoder: Decoder, check: Callable[[Any, int], Any],
                 close: Callable[[], Awaitable[None]], label: str = "stream"):
        self._chunks = chunks
        self._decoder = decoder
        self._check = check
        self._close = close
        self._label = label
        self._pending: list[Any] = []
        self._index = 0
        self._ended = False
        self.closed = False

    def __aiter__(self) -> "AsyncItemStream":
        return self

    async def __anext__(self) -> Any:
        try:
            while True:
                while self._pending:
                    item = self._pending.pop(0)
                    checked = self._check(item, self._index)
                    self._index += 1
                    if checked is not SKIP:
                        return checked
                if self._ended:
                    raise StopAsyncIteration
                try:
                    chunk = await self._chunks.__anext__()
                    self._pending = self._decoder.feed(chunk)
                except StopAsyncIteration:
                    self._ended = True
                    self._pending = self._decoder.end()
                except ItemTooLarge as problem:
                    raise TransportError(f"{self._label}: item {self._index}: {problem}") from None
        except BaseException:  # the end, a bad item, a cancellation: the connection goes
            await self.aclose()
            raise

    async def aclose(self) -> None:
        if not self.closed:
            self.closed = True
            await self._close()

    async def __aenter__(self) -> "AsyncItemStream":
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"<AsyncItemStream {'closed' if self.closed else 'open'}>"
