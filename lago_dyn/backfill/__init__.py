"""Backfilling usage: events from Parquet or CSV exports (or rows in memory) into Lago, each exactly once,
resumable after a crash, on one process or on a Dask cluster.

    summary = lago_dyn.backfill("exports/", spec="lago.yaml", base_url=..., api_key=...,
                                mapping="transaction_id=id,code=metric,external_subscription_id=sub,timestamp=ts",
                                checkpoint="backfill.ckpt", failures="failures.jsonl")

The package sits above the facades because it opens its own `AsyncClient`s (one per process, one per
Dask task); Lago's batch limits come from `lago/events.py`. Its parts: `sources` (shares of a source),
`mapping` (row -> event, deterministic ids), `event_schema` (the check every row passes), `checkpoint`,
`report` (summary, failure lines), `job` (one process), `cluster` (Dask), `opener` (the job's clients).
"""

from __future__ import annotations

import asyncio
import os
from typing import Any, Mapping

from ..errors import ConfigurationError
from ..lago.events import MAX_BATCH_SIZE
from .job import JobSettings, run_shares
from .mapping import FieldMapping
from .opener import ClientRecipe
from .report import BackfillSummary, FailureReport
from .sources import shares_of

__all__ = ["BackfillSummary", "FieldMapping", "abackfill", "backfill"]


def backfill(source: Any, *, client: Any = None, spec: Any = None, base_url: str | None = None,
             api_key: str | None = None, mapping: Mapping[str, str] | str | None = None,
             defaults: Mapping[str, Any] | None = None, checkpoint: str | os.PathLike[str],
             failures: str | os.PathLike[str] | None = None, concurrency: int = 8,
             batch_size: int = MAX_BATCH_SIZE, cluster: Any = None, progress: bool = True, quiet: bool = False,
             source_name: str | None = None, retries: int = 5,
             client_options: Mapping[str, Any] | None = None) -> BackfillSummary:
    """Send every row of `source` to Lago as a usage event, through `create_batch_events`; the summary.

    - `source`: a Parquet or CSV file, a folder of them (searched recursively), a list of those, an
      iterable of dicts, or a pandas or polars DataFrame (`source_name` names an in-memory source in the
      transaction ids and the checkpoint; default "records").
    - `client` (an `AsyncClient`) or `spec` + `base_url` + `api_key`, from which the job opens its own
      (with `client_options`, further `AsyncClient` arguments).
    - `mapping`: event fields by column, `"transaction_id=id,code=metric,properties.region=region"` or a
      dict; a field not mapped takes the column of its name. `defaults`: a value per field for rows
      without one (`{"code": "api_calls"}`).
    - `checkpoint`: a folder (made if absent) of finished batches; a rerun with the same folder skips them.
    - `failures`: a JSON Lines file, appended to, of each row not in Lago and why.
    - `concurrency`: requests in flight at most (divided among a cluster's worker threads);
      `batch_size`: events per request (Lago takes at most 100).
    - `cluster`: a `distributed.Client` or a scheduler address (`tcp://host:8786`): each file or row group
      becomes a Dask task (install `lago-dyn[dask]`; workers must see the files and the checkpoint folder).
    - `progress`: a bar (tqdm on a terminal) or a line a second on stderr; `quiet=True` shows nothing.
    """
    settings, shares, data, report, recipe = _prepared(source, client, spec, base_url, api_key, mapping, defaults,
                                                       checkpoint, failures, concurrency, batch_size, source_name,
                                                       retries, client_options)
    show = progress and not quiet
    try:
        if cluster is not None:
            from .cluster import run_on_dask

            if recipe is None:
                raise ConfigurationError("backfill: a Dask run opens a client on each worker: pass spec=, base_url= "
                                         "and api_key= rather than client=")
            return run_on_dask(cluster, shares, recipe, settings, report, progress=show)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            raise ConfigurationError("backfill: called inside a running event loop; await abackfill(...) there")
        return asyncio.run(_run(shares, data, client, recipe, settings, report, show))
    finally:
        report.close()


async def abackfill(source: Any, *, client: Any = None, spec: Any = None, base_url: str | None = None,
                    api_key: str | None = None, mapping: Mapping[str, str] | str | None = None,
                    defaults: Mapping[str, Any] | None = None, checkpoint: str | os.PathLike[str],
                    failures: str | os.PathLike[str] | None = None, concurrency: int = 8,
                    batch_size: int = MAX_BATCH_SIZE, progress: bool = True, quiet: bool = False,
                    source_name: str | None = None, retries: int = 5,
                    client_options: Mapping[str, Any] | None = None) -> BackfillSummary:
    """`backfill` for asyncio code (on one process; a Dask run is `backfill(..., cluster=...)`)."""
    settings, shares, data, report, recipe = _prepared(source, client, spec, base_url, api_key, mapping, defaults,
                                                       checkpoint, failures, concurrency, batch_size, source_name,
                                                       retries, client_options)
    try:
        return await _run(shares, data, client, recipe, settings, report, progress and not quiet)
    finally:
        report.close()


def _prepared(source: Any, client: Any, spec: Any, base_url: str | None, api_key: str | None, mapping: Any,
              defaults: Any, checkpoint: Any, failures: Any, concurrency: int, batch_size: int,
              source_name: str | None, retries: int, client_options: Any) -> tuple[Any, ...]:
    if client is not None and (spec is not None or base_url is not None or api_key is not None):
        raise ConfigurationError("backfill: pass client= or spec=/base_url=/api_key=, not both")
    if client is not None and not hasattr(client, "aclose"):
        raise ConfigurationError(f"backfill: client= is a {type(client).__name__}; the job sends concurrently "
                                 f"and needs a lago_dyn.AsyncClient")
    recipe = None if client is not None else ClientRecipe(spec, base_url, api_key, concurrency,
                                                           dict(client_options or {}))
    from .event_schema import EventSchema
    from ..client import load_spec

    overlays = (client_options or {}).get("overlays")
    loaded = client.spec if client is not None else (spec if hasattr(spec, "operations") else
                                                     load_spec(spec, overlays=overlays))
    fields = EventSchema(loaded).fields  # a spec without create_batch_events fails here, before any reading
    settings = JobSettings(FieldMapping(mapping, defaults, fields=fields), os.fspath(checkpoint), concurrency,
                           batch_size, retries)
    shares, data = shares_of(source, name=source_name)
    return settings, shares, data, FailureReport(failures), recipe


async def _run(shares: Any, data: Any, client: Any, recipe: ClientRecipe | None, settings: JobSettings,
               report: FailureReport, progress: bool) -> BackfillSummary:
    if client is not None:
        return await run_shares(shares, data, client, settings, report, progress=progress)
    opened = recipe.open()  # type: ignore[union-attr]
    try:
        return await run_shares(shares, data, opened, settings, report, progress=progress)
    finally:
        await opened.aclose()
