"""Usage events in bulk: `client.send_events(events, batch_size=100)`.

Lago deduplicates events on `transaction_id`, so an event that carries one can be sent again safely: a
batch that failed (a 5xx, a 429, a broken connection) may have been processed in part or in whole, and
resending it never counts an event twice. That is why every event without a `transaction_id` is given a
unique one *before* its first attempt, and why a failed batch is resent with the very same ids, although
the transport never retries a POST by itself.
"""

from __future__ import annotations

import itertools
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Mapping

from ..errors import LagoDynError, RateLimitError, ServerError, TransportError

#: Lago accepts at most this many events in one batch call.
MAX_BATCH_SIZE = 100
#: The longest wait between two attempts at a batch (seconds), whatever a 429 says.
MAX_WAIT = 30.0


@dataclass(frozen=True)
class BatchFailure:
    """A batch that was not accepted after every attempt: its events (with their transaction ids, so
    they can be resent later without double counting) and the last error."""

    events: list[dict[str, Any]]
    error: LagoDynError


@dataclass
class SendReport:
    """What `send_events` did: events accepted, batches sent, and the batches that failed."""

    sent: int = 0
    batches: int = 0
    failures: list[BatchFailure] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return sum(len(failure.events) for failure in self.failures)


def send_events(client: Any, events: Iterable[Mapping[str, Any]], *, batch_size: int = MAX_BATCH_SIZE,
                retries: int = 2, backoff: float = 0.5) -> SendReport:
    """Send `events` (any iterable, read lazily) with `create_batch_events`, `batch_size` at a time.

    A batch that fails with a 5xx, a 429 or a transport error is resent up to `retries` times, waiting
    `backoff` seconds doubled each time (or the 429's `retry_after`), at most MAX_WAIT; a batch Lago refuses (400, 422) is
    not resent, since it would be refused again. Failed batches are reported, not raised, so one bad
    batch never loses the rest. Progress goes to the client's `on_event` callback as
    `{"event": "events_batch", "batch", "size", "sent", "failed"}` after each batch."""
    send_batch, report = client.operation("create_batch_events"), SendReport()
    for batch in _batches(events, _checked(batch_size)):
        for attempt in range(retries + 1):
            error = _attempt(send_batch, batch)
            wait = _retry_wait(error, attempt, retries, backoff)
            if wait is None:
                break
            time.sleep(wait)
        _record(client, report, batch, error)
    return report


async def asend_events(client: Any, events: Iterable[Mapping[str, Any]], *, batch_size: int = MAX_BATCH_SIZE,
                       retries: int = 2, backoff: float = 0.5) -> SendReport:
    """`send_events` for the `AsyncClient`: the same batches, retries and report; waits are
    `asyncio.sleep`, so other calls go on meanwhile."""
    import asyncio

    send_batch, report = client.operation("create_batch_events"), SendReport()
    for batch in _batches(events, _checked(batch_size)):
        for attempt in range(retries + 1):
            try:
                await send_batch({"events": batch})
                error = None
            except LagoDynError as raised:
                error = raised
            wait = _retry_wait(error, attempt, retries, backoff)
            if wait is None:
                break
            await asyncio.sleep(wait)
        _record(client, report, batch, error)
    return report


def _checked(batch_size: int) -> int:
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise ValueError(f"batch_size must be between 1 and {MAX_BATCH_SIZE} (Lago's limit), not {batch_size}")
    return batch_size


def _attempt(send_batch: Any, batch: list[dict[str, Any]]) -> LagoDynError | None:
    try:
        send_batch({"events": batch})
    except LagoDynError as error:
        return error
    return None


def _retry_wait(error: LagoDynError | None, attempt: int, retries: int, backoff: float) -> float | None:
    """Seconds to wait before sending a batch again, or None to stop: it was accepted, Lago refused it as
    it is (400, 422, invalid: sending it again cannot help), or its attempts are spent."""
    if error is None or not isinstance(error, (ServerError, RateLimitError, TransportError)) or attempt == retries:
        return None
    wait = error.retry_after if isinstance(error, RateLimitError) else None
    return min(MAX_WAIT, wait if wait is not None else backoff * 2**attempt)


def _record(client: Any, report: SendReport, batch: list[dict[str, Any]], error: LagoDynError | None) -> None:
    report.batches += 1
    if error is None:
        report.sent += len(batch)
    else:
        report.failures.append(BatchFailure(batch, error))
    if client.on_event is not None:
        client.on_event({"event": "events_batch", "batch": report.batches, "size": len(batch),
                         "sent": report.sent, "failed": report.failed})


def _batches(events: Iterable[Mapping[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    """Chunks of at most `size` events, each a copy with a `transaction_id` (the caller's is kept)."""
    iterator = iter(events)
    while True:
        chunk = [_with_transaction_id(event) for event in itertools.islice(iterator, size)]
        if not chunk:
            return
        yield chunk


def _with_transaction_id(event: Mapping[str, Any]) -> dict[str, Any]:
    copied = dict(event)
    if not copied.get("transaction_id"):
        copied["transaction_id"] = str(uuid.uuid4())
    return copied
