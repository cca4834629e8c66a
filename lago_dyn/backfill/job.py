"""The backfill job on one process: shares read in order, rows mapped and checked, batches of valid events
sent through `create_batch_events` with at most `concurrency` requests in flight, each batch's outcome
written to the failure report and then to the checkpoint.

A batch is retried in the ways that cannot count an event twice: a 429 is waited out (every sender
pauses for the `Retry-After`, else `x-ratelimit-reset`, since the budget is shared), a 5xx or a broken
connection is resent with the same ids up to `retries` times, and a 422 that names events by index is
split: the events Lago already has (`transaction_id: value_already_exist`, sent by a run that died
before recording them) count as done, the ones it refuses go to the report, and the rest are resent
(Lago refuses a batch as a whole, so those were not stored). An error that no batch can get past (401,
403, 404) stops the job once the batches in flight are answered.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass
from typing import Any, Iterator

from ..errors import (ApiError, BadRequestError, ConfigurationError, LagoDynError, RateLimitError,
                      RequestValidationError, ResponseValidationError, ServerError, TransportError,
                      UnprocessableEntityError)
from ..lago.events import MAX_BATCH_SIZE, MAX_WAIT
from ..progress import track
from ..rate_limits import RateLimit
from .checkpoint import BatchRecord, Checkpoint, CheckpointWriter
from .event_schema import BATCH_OPERATION, EventSchema
from .mapping import FieldMapping, transaction_id
from .report import INVALID, UNSENT, BackfillSummary, FailureReport, failure
from .sources import RECORDS, Share, file_columns, read_share

#: Lago's answer, per event of a batch, for a transaction id it already holds (events/create_batch_service.rb).
ALREADY_RECEIVED = {"transaction_id": ["value_already_exist"]}


@dataclass(frozen=True)
class JobSettings:
    """What every process running a share needs to know (a Dask task gets a copy)."""

    mapping: FieldMapping
    checkpoint: str
    concurrency: int = 8
    batch_size: int = MAX_BATCH_SIZE
    retries: int = 5
    backoff: float = 0.5

    def __post_init__(self) -> None:
        if not 1 <= self.batch_size <= MAX_BATCH_SIZE:
            raise ConfigurationError(f"backfill: batch_size must be between 1 and {MAX_BATCH_SIZE} (Lago's limit), "
                                     f"not {self.batch_size}")
        if self.concurrency < 1:
            raise ConfigurationError(f"backfill: concurrency must be at least 1, not {self.concurrency}")


@dataclass
class Batch:
    """Up to `batch_size` consecutive rows of a share: the valid ones as events (with their row numbers),
    the invalid ones as failure lines."""

    share: Share
    index: int
    first_row: int
    rows: int
    events: list[dict[str, Any]]
    numbers: list[int]
    invalid: list[dict[str, Any]]


class RateGate:
    """One pause shared by every sender: a 429, or an answer saying no request is left in the window,
    closes it until the time the server named."""

    def __init__(self) -> None:
        self._until = 0.0

    def close_for(self, seconds: float) -> None:
        self._until = max(self._until, time.monotonic() + min(seconds, MAX_WAIT))

    async def wait(self) -> None:
        while (left := self._until - time.monotonic()) > 0:
            await asyncio.sleep(left)  # the server said how long; there is no event to wait for


async def run_shares(shares: list[Share], data: Any, client: Any, settings: JobSettings,
                     failures: FailureReport, *, progress: bool = True) -> BackfillSummary:
    """Run the job on `shares` with `client` (an AsyncClient on a spec with `create_batch_events`); the
    summary of this run. Raises the first error no batch can get past, after the batches in flight end."""
    schema = EventSchema(client.spec)
    summary, started = BackfillSummary(), time.perf_counter()
    checkpoint = Checkpoint(settings.checkpoint)
    sender = _Sender(client.operation(BATCH_OPERATION), settings, summary, failures)
    slots = asyncio.Semaphore(settings.concurrency)
    writers: list[CheckpointWriter] = []
    pending: set[asyncio.Task[None]] = set()
    try:
        batches = _all_batches(shares, data, settings, schema, checkpoint, summary, writers)
        if progress:
            batches = track(batches, total=_batch_total(shares, settings.batch_size), desc="backfill batches")
        for batch, writer in batches:
            if sender.fatal is not None:
                break
            if not batch.events:
                await sender.finish(batch, writer, batch.invalid, 0, 0, 0)
                continue
            await slots.acquire()
            task = asyncio.create_task(sender.send(batch, writer))
            pending.add(task)
            task.add_done_callback(pending.discard)
            task.add_done_callback(lambda _: slots.release())
        await asyncio.gather(*pending)
        await sender.synced()
    finally:
        for task in pending:
            task.cancel()
        for writer in writers:
            writer.close()
        summary.seconds = time.perf_counter() - started
    if sender.fatal is not None:
        raise sender.fatal
    return summary


class _Sender:
    """Sends batches and records their outcome (failure lines first, then the checkpoint line)."""

    def __init__(self, operation: Any, settings: JobSettings, summary: BackfillSummary, failures: FailureReport):
        self.operation = operation
        self.settings = settings
        self.summary = summary
        self.failures = failures
        self.gate = RateGate()
        self.fatal: LagoDynError | None = None
        self._unsynced: set[CheckpointWriter] = set()
        self._syncing: asyncio.Future[None] | None = None

    async def send(self, batch: Batch, writer: CheckpointWriter) -> None:
        events, numbers = batch.events, batch.numbers
        lines, accepted, duplicates, refused, attempt = list(batch.invalid), 0, 0, 0, 0
        name = batch.share.name
        while events:
            await self.gate.wait()
            try:
                info = await self.operation.with_http_info({"events": events})
            except RateLimitError as error:
                self.summary.requests += 1
                self.summary.rate_limited += 1
                said = error.retry_after
                self.gate.close_for(said if said is not None else self.settings.backoff)
                continue
            except UnprocessableEntityError as error:
                self.summary.requests += 1
                problems = _per_event(error.error_details, len(events))
                if problems is None:  # the batch refused as a whole, with no event named
                    lines += [failure(name, n, e.get("transaction_id"), error.status, error.code, error.error_details)
                              for e, n in zip(events, numbers)]
                    refused += len(events)
                    break
                kept = [i for i in range(len(events)) if i not in problems]
                for index, problem in problems.items():
                    if problem == ALREADY_RECEIVED:
                        duplicates += 1
                    else:
                        refused += 1
                        lines.append(failure(name, numbers[index], events[index].get("transaction_id"), error.status,
                                             error.code, problem))
                events, numbers = [events[i] for i in kept], [numbers[i] for i in kept]
                continue
            except (BadRequestError, RequestValidationError) as error:
                self.summary.requests += isinstance(error, ApiError)
                status = error.status if isinstance(error, ApiError) else INVALID
                code = error.code if isinstance(error, ApiError) else "invalid_request"
                lines += [failure(name, n, e.get("transaction_id"), status, code, _details(error))
                          for e, n in zip(events, numbers)]
                refused += len(events)
                break
            except (ServerError, TransportError) as error:
                self.summary.requests += isinstance(error, ApiError)
                if attempt < self.settings.retries:
                    await asyncio.sleep(min(MAX_WAIT, self.settings.backoff * 2**attempt))
                    attempt += 1
                    continue
                lines += [failure(name, n, e.get("transaction_id"), UNSENT, _reason(error), None)
                          for e, n in zip(events, numbers)]
                self.summary.unsent += len(events)
                await asyncio.to_thread(self.failures.write, lines)  # not recorded: a rerun sends these rows again
                return
            except ResponseValidationError:
                # The user's client judged Lago's answer and found fault with it: the events were taken.
                self.summary.requests += 1
                accepted += len(events)
                break
            except LagoDynError as error:
                self.summary.requests += isinstance(error, ApiError)
                self.fatal = self.fatal or error
                return
            self.summary.requests += 1
            accepted += len(events)
            limit = RateLimit.from_headers(info.headers)
            if limit is not None and limit.remaining == 0 and limit.reset:
                self.gate.close_for(limit.reset)
            break
        await self.finish(batch, writer, lines, accepted, duplicates, refused)

    async def finish(self, batch: Batch, writer: CheckpointWriter, lines: list[dict[str, Any]], accepted: int,
                     duplicates: int, refused: int) -> None:
        """The batch's failure lines (fsync'd, off the event loop), then its checkpoint line: a finished
        batch's failures are never lost. The checkpoint line's fsync is shared with other batches'."""
        if lines:
            await asyncio.to_thread(self.failures.write, lines)
        writer.record(BatchRecord(batch.index, batch.first_row, batch.rows, accepted, duplicates, refused,
                                  len(batch.invalid)))
        self._unsynced.add(writer)
        if self._syncing is None or self._syncing.done():
            self._syncing = asyncio.ensure_future(self._sync())
        summary = self.summary
        summary.accepted += accepted
        summary.duplicates += duplicates
        summary.refused += refused
        summary.sent += accepted + duplicates + refused
        summary.invalid += len(batch.invalid)

    async def _sync(self) -> None:
        """fsync the checkpoint files written since the last round, round after round until none are left."""
        while self._unsynced:
            writers = list(self._unsynced)
            self._unsynced.clear()
            await asyncio.to_thread(_sync_all, writers)

    async def synced(self) -> None:
        if self._syncing is not None:
            await self._syncing


def _all_batches(shares: list[Share], data: Any, settings: JobSettings, schema: EventSchema,
                 checkpoint: Checkpoint, summary: BackfillSummary, writers: list[CheckpointWriter]
                 ) -> Iterator[tuple[Batch, CheckpointWriter]]:
    """The batches still to do, share after share, each with its share's checkpoint writer (opened when
    the share is reached); rows of finished batches are counted as skipped."""
    for share in shares:
        finished = checkpoint.finished(share)
        if share.rows is not None and _all_finished(finished, share.rows, settings.batch_size):
            summary.rows += share.rows
            summary.skipped += share.rows
            continue
        writer = checkpoint.writer(share)
        writers.append(writer)
        for batch in _batches(share, data, settings, schema, finished, summary):
            yield batch, writer


def _batches(share: Share, data: Any, settings: JobSettings, schema: EventSchema, finished: dict[int, BatchRecord],
             summary: BackfillSummary) -> Iterator[Batch]:
    mapping, size = settings.mapping, settings.batch_size
    columns = None
    if share.kind != RECORDS:
        available = file_columns(share) or []
        missing = mapping.missing_columns(available)
        if missing:
            raise ConfigurationError(f"backfill: {share.name} has no column {', '.join(map(repr, missing))} "
                                     f"(its columns: {', '.join(available)})")
        columns = mapping.needed_columns(available)
    rows = itertools.chain.from_iterable(read_share(share, size * settings.concurrency, columns, data))
    for index in itertools.count():
        chunk = list(itertools.islice(rows, size))
        if not chunk:
            return
        summary.rows += len(chunk)
        first = share.first_row + index * size
        if index in finished:
            summary.skipped += len(chunk)
            continue
        events, numbers, invalid = [], [], []
        for number, row in enumerate(chunk, first):
            event = mapping.event(row)
            if not event.get("transaction_id"):
                event["transaction_id"] = transaction_id(share.name, number, event)
            violations = schema.violations(event)
            if violations:
                invalid.append(failure(share.name, number, event.get("transaction_id"), INVALID, "invalid_event",
                                       [{"location": v.location, "rule": v.rule, "message": v.message}
                                        for v in violations]))
            else:
                events.append(event)
                numbers.append(number)
        yield Batch(share, index, first, len(chunk), events, numbers, invalid)


def _all_finished(finished: dict[int, BatchRecord], rows: int, size: int) -> bool:
    return all(index in finished for index in range(-(-rows // size)))


def _sync_all(writers: list[CheckpointWriter]) -> None:
    for writer in writers:
        writer.sync()


def _batch_total(shares: list[Share], size: int) -> int | None:
    counts = [share.rows for share in shares]
    return None if None in counts else sum(-(-rows // size) for rows in counts if rows is not None)


def _per_event(details: Any, count: int) -> dict[int, Any] | None:
    """Lago's `error_details` of a refused batch by event index (`{"3": {"code": ["..."]}}`), or None
    when it does not name events."""
    if not isinstance(details, dict) or not details:
        return None
    found = {}
    for key, problem in details.items():
        if not str(key).isdigit() or int(key) >= count:
            return None
        found[int(key)] = problem
    return found


def _details(error: LagoDynError) -> Any:
    if isinstance(error, ApiError):
        return error.error_details
    violations = getattr(error, "violations", None) or []
    return [{"location": v.location, "rule": v.rule, "message": v.message} for v in violations]


def _reason(error: LagoDynError) -> str:
    """Why a batch stayed unsent, in our words: the status, or the kind of transport failure."""
    if isinstance(error, ApiError):
        return f"http_{error.status}"
    return type(error).__name__

