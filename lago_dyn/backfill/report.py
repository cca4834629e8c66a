"""What a backfill reports: the summary it returns (counts and throughput) and the failure report, one
JSON line per row that is not in Lago (invalid, refused, or left unsent after every attempt).

A failure line names the row (`source`, `row`), its `transaction_id`, a `status` (`"invalid"`: refused
before sending; an HTTP status: refused by Lago; `"unsent"`: the batch failed for a reason a rerun may
not meet, such as a 5xx or a broken connection), Lago's error `code` and the `details` (the violations,
or Lago's `error_details` for that event).
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict, dataclass, fields
from typing import IO, Any

#: The `status` of a row refused before it was sent, and of a row whose batch was never answered for good.
INVALID, UNSENT = "invalid", "unsent"


@dataclass
class BackfillSummary:
    """Counts of rows by outcome, and the wall time.

    `accepted`: events Lago took in this run; `duplicates`: events Lago already had (sent by an earlier
    run that stopped before recording them), so they are in Lago exactly once; `refused`: events Lago
    refused; `invalid`: rows that broke the spec's event schema (never sent); `skipped`: rows of batches
    an earlier run finished (the checkpoint says so); `unsent`: rows of batches that failed after every
    attempt (not recorded: a rerun sends them). `sent` counts the events of batches Lago answered."""

    rows: int = 0
    sent: int = 0
    accepted: int = 0
    duplicates: int = 0
    refused: int = 0
    invalid: int = 0
    skipped: int = 0
    unsent: int = 0
    requests: int = 0
    rate_limited: int = 0
    seconds: float = 0.0

    @property
    def events_per_second(self) -> float:
        """Events Lago answered for, per second of the run."""
        return self.sent / self.seconds if self.seconds > 0 else 0.0

    @property
    def complete(self) -> bool:
        """Whether every row is accounted for for good: nothing is left for a rerun to send."""
        return self.unsent == 0

    def add(self, other: "BackfillSummary") -> None:
        """Add the counts of `other` (a Dask task's share of the work); the time is the caller's to set."""
        for item in fields(self):
            if item.name != "seconds":
                setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "events_per_second": round(self.events_per_second, 1)}

    def __str__(self) -> str:
        return (f"{self.rows} rows: {self.accepted} accepted, {self.duplicates} already in Lago, {self.refused} refused, "
                f"{self.invalid} invalid, {self.skipped} skipped as already done, {self.unsent} unsent; "
                f"{self.requests} requests ({self.rate_limited} rate-limited) in {self.seconds:.1f} s, "
                f"{self.events_per_second:,.0f} events/s")


class FailureReport:
    """The failure report: JSON lines appended to a file (written and fsync'd before the batch they
    belong to is recorded as finished, so a finished batch's failures are never lost), or kept in a list
    (a Dask task hands them back to the process that writes the file)."""

    def __init__(self, path: str | os.PathLike[str] | None = None):
        self._handle: IO[str] | None = open(path, "a", encoding="utf-8") if path is not None else None
        self.kept: list[dict[str, Any]] = []
        self.count = 0
        self._lock = threading.Lock()  # batches finish in worker threads (their fsyncs stay off the event loop)

    def write(self, lines: list[dict[str, Any]]) -> None:
        if not lines:
            return
        text = "".join(json.dumps(line, ensure_ascii=False, default=str) + "\n" for line in lines)
        with self._lock:
            self.count += len(lines)
            if self._handle is None:
                self.kept.extend(lines)
                return
            self._handle.write(text)
            self._handle.flush()
            os.fsync(self._handle.fileno())

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def failure(source: str, row: int, transaction_id: Any, status: Any, code: Any, details: Any) -> dict[str, Any]:
    """One line of the failure report."""
    return {"source": source, "row": row, "transaction_id": transaction_id, "status": status, "code": code,
            "details": details}
