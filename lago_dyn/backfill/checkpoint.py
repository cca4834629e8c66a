"""The checkpoint: which batches of which share are finished, kept in a folder, one JSON Lines file per
share.

A batch is finished when Lago answered it for good (accepted, or refused as it is) or when all its rows
were invalid; its line is appended only then, in one write, so a process killed at any moment (`kill -9`)
leaves behind only batches that were confirmed. Lines are fsync'd in groups (every line written while
the previous fsync ran shares the next one) and at the end: a machine that goes down may lose the last
lines, whose batches a rerun sends again and Lago answers as already received.

A rerun skips the finished batches and sends the rest again with the same transaction ids, which Lago
deduplicates: a batch that was accepted but not yet recorded is answered as already received, never
counted twice.

One file per share is what lets a single process and the tasks of a Dask run (each on its own share,
possibly on other machines sharing the folder) write without coordinating, and read back the same
layout: whoever runs a share next reads that share's file. A line torn by a crash is ignored (its batch
is sent again).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .sources import Share


@dataclass(frozen=True)
class BatchRecord:
    """A finished batch: its index in the share, its first row and how many rows it spans, and what
    became of them."""

    batch: int
    first_row: int
    rows: int
    accepted: int = 0
    duplicates: int = 0
    refused: int = 0
    invalid: int = 0

    @property
    def events(self) -> int:
        """The rows of the batch that are in Lago now."""
        return self.accepted + self.duplicates


class Checkpoint:
    """The checkpoint folder (made if absent). `finished(share)` reads a share's file; `writer(share)` appends."""

    def __init__(self, folder: str | os.PathLike[str]):
        self.folder = Path(folder)
        if self.folder.exists() and not self.folder.is_dir():
            from ..errors import ConfigurationError

            raise ConfigurationError(f"backfill: the checkpoint {str(folder)!r} is a file; it is a folder "
                                     f"(one file per share inside)")
        self.folder.mkdir(parents=True, exist_ok=True)

    def path(self, share: Share) -> Path:
        """`<readable part of the share's name>-<hash of its key>.jsonl`: unique per share, and a person can
        still tell which file is which."""
        readable = re.sub(r"[^A-Za-z0-9._-]+", "_", share.key)[-60:]
        digest = hashlib.blake2b(share.key.encode(), digest_size=8).hexdigest()
        return self.folder / f"{readable}-{digest}.jsonl"

    def finished(self, share: Share) -> dict[int, BatchRecord]:
        """The share's finished batches by index ({} when it was never started)."""
        try:
            with open(self.path(share), encoding="utf-8") as handle:
                lines = handle.read().splitlines()
        except FileNotFoundError:
            return {}
        records = {}
        for line in lines:
            try:
                data = json.loads(line)
                record = BatchRecord(**{k: int(v) for k, v in data.items() if k in BatchRecord.__dataclass_fields__})
            except (ValueError, TypeError):
                continue  # a line torn by a crash: its batch was not confirmed, so it is sent again
            if data.get("share") == share.key:
                records[record.batch] = record
        return records

    def writer(self, share: Share) -> "CheckpointWriter":
        return CheckpointWriter(self.path(share), share.key)


class CheckpointWriter:
    """Appends finished batches to one share's file: `record` writes a whole line at once (a process
    killed after it loses nothing: the line is the kernel's), `sync` fsyncs what was written (for a
    machine that goes down), which the job does for many lines at a time."""

    def __init__(self, path: Path, key: str):
        self._key = key
        self._closing = threading.Lock()
        self._fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        size = os.fstat(self._fd).st_size
        if size and os.pread(self._fd, 1, size - 1) != b"\n":
            os.write(self._fd, b"\n")  # end a line torn by a crash, so the next one stands on its own

    def record(self, record: BatchRecord) -> None:
        line: dict[str, Any] = {"share": self._key, **record.__dict__}
        os.write(self._fd, (json.dumps(line, separators=(",", ":")) + "\n").encode())

    def sync(self) -> None:
        with self._closing:  # a sync in a worker thread never meets a closed descriptor
            if self._fd >= 0:
                os.fsync(self._fd)

    def close(self) -> None:
        with self._closing:
            if self._fd >= 0:
                os.fsync(self._fd)
                os.close(self._fd)
                self._fd = -1
