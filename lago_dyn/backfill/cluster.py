"""The backfill past one machine, on Dask distributed: each share (a Parquet row group, a CSV file) is a
Dask task that runs the single-process job on that share alone, with its own client, and writes that
share's checkpoint file. Dask schedules, balances and reports; nothing of ours does.

The concurrency budget (requests in flight, which is what Lago's rate limit counts) is divided by the
cluster's worker threads, so the cluster as a whole never has more requests out than one process would.
Workers must see the source files and the checkpoint folder at the same paths (a shared file system or
the same machine); the failure lines of a task come back with its result and are written here.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, replace
from typing import Any

from ..errors import ConfigurationError, LagoDynError
from ..progress import track
from .job import JobSettings, run_shares
from .opener import ClientRecipe
from .report import BackfillSummary, FailureReport
from .sources import RECORDS, Share


class BackfillTaskError(LagoDynError):
    """A Dask task of the backfill stopped on an error no batch could get past (its message is the task's
    own error, said in our words); the checkpoint keeps what every task finished."""


@dataclass
class TaskResult:
    """What a task hands back: its counts, its failure lines, and the error that stopped it (text)."""

    summary: BackfillSummary | None
    failures: list[dict[str, Any]]
    error: str | None = None


def run_on_dask(cluster: Any, shares: list[Share], recipe: ClientRecipe, settings: JobSettings,
                failures: FailureReport, *, progress: bool = True) -> BackfillSummary:
    """Run every share as a task of `cluster` (a `distributed.Client`, or a scheduler address such as
    `tcp://127.0.0.1:8786`); the summary of the whole run."""
    if any(share.kind == RECORDS for share in shares):
        raise ConfigurationError("backfill: a Dask run reads files on its workers; pass Parquet or CSV paths, "
                                 "not rows held in this process")
    if not isinstance(recipe.spec, (str, dict)) and not hasattr(recipe.spec, "__fspath__"):
        raise ConfigurationError("backfill: a Dask run needs the spec as a path, URL or dict (each worker loads it)")
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise ConfigurationError("backfill: cluster= needs Dask distributed (pip install 'lago-dyn[dask]')") from None
    dask = Client(cluster) if isinstance(cluster, str) else cluster
    started = time.perf_counter()
    try:
        threads = sum(dask.nthreads().values()) or 1
        each = max(1, settings.concurrency // threads)
        futures = dask.map(run_task, shares, recipe=replace(recipe, pool_maxsize=each),
                           settings=replace(settings, concurrency=each), pure=False)
        summary = BackfillSummary()
        results = as_completed(futures, with_results=True)
        for _, result in (track(results, total=len(futures), desc="backfill tasks") if progress else results):
            failures.write(result.failures)
            if result.error is not None:
                dask.cancel(futures)
                raise BackfillTaskError(f"backfill: a task stopped: {result.error}")
            summary.add(result.summary)
    finally:
        if dask is not cluster:
            dask.close()
    summary.seconds = time.perf_counter() - started
    return summary


def run_task(share: Share, *, recipe: ClientRecipe, settings: JobSettings) -> TaskResult:
    """One Dask task: the job on one share, on the worker that runs it."""
    report = FailureReport()

    async def run() -> BackfillSummary:
        client = recipe.open()
        try:
            return await run_shares([share], None, client, settings, report, progress=False)
        finally:
            await client.aclose()

    try:
        summary = asyncio.run(run())
    except LagoDynError as error:  # sent back as text: our messages are ours to show, exceptions may not pickle
        return TaskResult(None, report.kept, f"{type(error).__name__}: {error}")
    return TaskResult(summary, report.kept)
