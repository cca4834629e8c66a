"""Backfill throughput and memory (issue 25), every number measured in this one run.

Events per second into the canned local server (bench_server.py, its own process, answering
POST /api/v1/events/batch), 100 events a request, 8 requests in flight:

- the backfill job (`lago_dyn.backfill`) reading a Parquet file: mapping, deterministic ids, every event
  checked against the 1.51.0 event schema, the checkpoint fsync'd per batch;
- a bare httpx2 async loop posting pre-built batches (no file, no ids, no validation, no checkpoint): the floor;
- lago-python-client's `events.batch_create` on pre-built `BatchEvent`s from 8 threads (the `bench` extra;
  the row says so when it is not installed);
- the job on a Dask LocalCluster of 1, then 2 worker processes (one thread each).

Then the job's peak memory on two Parquet files, the second four times the first, each row carrying a
100-character property: the peak of Python allocations during the job (tracemalloc) and the process's
peak RSS (resource). Memory that does not grow with the file is bounded by batch size x concurrency.

    .venv/bin/python benchmarks/backfill.py [--events 100000] [--memory-rows 50000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this tree's lago_dyn, here and in the Dask workers and the memory child
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH"))))
SPEC = ROOT.parent / "shared" / "specs" / "lago-1.51.0.yaml"
IN_FLIGHT, BATCH = 8, 100
MAPPING = "code=metric,external_subscription_id=sub,properties.region=region"


def write_parquet(path: Path, rows: int, payload: bool = False) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = {"metric": ["calls"] * rows, "sub": ["sub-1"] * rows,
               "region": [("eu", "us", "apac")[n % 3] for n in range(rows)]}
    if payload:
        columns["note"] = [secrets.token_hex(50) for _ in range(rows)]
    pq.write_table(pa.table(columns), path, row_group_size=10_000)  # 10,000-row groups: Dask tasks
    return path


def start_server(work: Path) -> tuple[subprocess.Popen, str]:
    answers = work / "answers.json"
    answers.write_text(json.dumps({"POST /api/v1/events/batch": {"status": 200, "body": '{"events":[]}'}}))
    server = subprocess.Popen([sys.executable, str(ROOT / "benchmarks" / "bench_server.py"), str(answers)],
                              stdout=subprocess.PIPE, text=True)
    return server, f"http://127.0.0.1:{server.stdout.readline().strip()}/api/v1"


def prebuilt(events: int) -> list[list[dict]]:
    return [[{"transaction_id": f"t-{n}", "code": "calls", "external_subscription_id": "sub-1",
              "properties": {"region": ("eu", "us", "apac")[n % 3]}} for n in range(start, min(start + BATCH, events))]
            for start in range(0, events, BATCH)]


async def bare_httpx2(base: str, batches: list[list[dict]]) -> None:
    import httpx2

    queue = list(reversed(batches))
    async with httpx2.AsyncClient(limits=httpx2.Limits(max_connections=IN_FLIGHT),
                                  headers={"Authorization": "Bearer k"}) as client:
        async def worker() -> None:
            while queue:
                (await client.post(f"{base}/events/batch", json={"events": queue.pop()})).raise_for_status()

        await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))


def lago_python_client(base: str, batches: list[list[dict]]) -> float:
    """Seconds for 8 threads to send the batches (models built before timing)."""
    from lago_python_client.client import Client
    from lago_python_client.models.event import BatchEvent, Event

    client = Client(api_key="k", api_url=base.removesuffix("/api/v1"))
    models = [BatchEvent(events=[Event(**event) for event in batch]) for batch in batches]
    started = time.perf_counter()
    with ThreadPoolExecutor(IN_FLIGHT) as pool:
        list(pool.map(client.events.batch_create, models))
    return time.perf_counter() - started


def run_job(source, base: str, work: Path, name: str, cluster=None, mapping: str = MAPPING) -> float:
    from lago_dyn.backfill import backfill

    started = time.perf_counter()
    summary = backfill(source, spec=str(SPEC), base_url=base, api_key="k", mapping=mapping,
                       checkpoint=work / f"checkpoint-{name}", failures=work / f"failures-{name}.jsonl",
                       concurrency=IN_FLIGHT, cluster=cluster, quiet=True)
    seconds = time.perf_counter() - started
    assert summary.accepted == summary.rows and summary.unsent == 0, summary
    return seconds


def memory_child(source: str, base: str, work: str) -> None:
    """Run in its own process: print the job's peak of Python allocations (tracemalloc, from after the
    spec and the imports are loaded) and the process's peak RSS (resource), in KiB."""
    import tracemalloc

    import lago_dyn
    import pyarrow.parquet  # noqa: F401
    from lago_dyn.backfill import backfill

    lago_dyn.load_spec(str(SPEC))  # the spec and the imports are the baseline, not the job
    tracemalloc.start()
    summary = backfill(source, spec=str(SPEC), base_url=base, api_key="k",
                       mapping=MAPPING + ",properties.note=note", checkpoint=Path(work) / "checkpoint",
                       concurrency=IN_FLIGHT, quiet=True)
    traced = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(json.dumps({"traced_kib": traced / 1024, "rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                      "rows": summary.rows}))


def measure_memory(rows: int, base: str, work: Path) -> dict:
    folder = work / f"memory-{rows}"
    folder.mkdir()
    source = write_parquet(folder / "big.parquet", rows, payload=True)
    child = subprocess.run([sys.executable, __file__, "--memory-child", str(source), base, str(folder)],
                           capture_output=True, text=True, check=True, cwd=ROOT)
    return {**json.loads(child.stdout), "megabytes": source.stat().st_size / 1e6}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--memory-rows", type=int, default=50_000)
    parser.add_argument("--memory-child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        return memory_child(*args.memory_child)
    import lago_dyn

    lago_dyn.load_spec(str(SPEC))
    rows: list[tuple[str, float, str]] = []
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        server, base = start_server(work)
        try:
            source = write_parquet(work / "usage.parquet", args.events)
            batches = prebuilt(args.events)
            started = time.perf_counter()
            asyncio.run(bare_httpx2(base, batches))
            bare = args.events / (time.perf_counter() - started)
            rows.append(("bare httpx2 async loop, pre-built batches", bare, "the floor: no file, ids, validation"))
            job = args.events / run_job(source, base, work, "single")
            rows.append(("backfill job (Parquet, ids, validation, checkpoint)", job, f"{job / bare:.2f}x bare"))
            given = [{"id": e["transaction_id"], "metric": "calls", "sub": "sub-1", "region": e["properties"]["region"]}
                     for batch in batches for e in batch]
            held = args.events / run_job(given, base, work, "dicts", mapping=MAPPING + ",transaction_id=id")
            rows.append(("backfill job on dicts with their ids (validation, checkpoint)", held,
                         f"{held / bare:.2f}x bare"))
            try:
                seconds = lago_python_client(base, batches)
                peer = args.events / seconds
                rows.append(("lago-python-client 1.55 batch_create, 8 threads", peer, f"job is {job / peer:.2f}x"))
            except ImportError:
                rows.append(("lago-python-client batch_create", float("nan"), "not installed (pip install '.[bench]')"))
            rows += dask_rows(source, base, work, args.events)
            small = measure_memory(args.memory_rows, base, work)
            large = measure_memory(4 * args.memory_rows, base, work)
        finally:
            server.kill()
    print(f"\nBackfill, {args.events:,} events into a local server (100 a request, {IN_FLIGHT} in flight):\n")
    print("| run | events/s | note |\n| --- | ---: | --- |")
    for name, rate, note in rows:
        print(f"| {name} | {rate:,.0f} | {note} |")
    print("\nPeak memory of the job (Python allocations traced from after loading; the whole process's peak RSS):\n")
    print("| Parquet file | rows | peak traced | peak RSS |\n| ---: | ---: | ---: | ---: |")
    for run in (small, large):
        print(f"| {run['megabytes']:.0f} MB | {run['rows']:,} | {run['traced_kib'] / 1024:.1f} MiB | "
              f"{run['rss_kib'] / 1024:.0f} MiB |")


def dask_rows(source: Path, base: str, work: Path, events: int) -> list[tuple[str, float, str]]:
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        return [("Dask workers", float("nan"), "not installed (pip install '.[dask]')")]
    found = []
    one = None
    for workers in (1, 2):
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            warm = write_parquet(work / f"warm-{workers}.parquet", 1_000)  # workers load the spec before timing
            run_job(warm, base, work, f"warm-{workers}", cluster=client)
            rate = events / run_job(source, base, work, f"dask-{workers}", cluster=client)
        one = one or rate
        note = "" if workers == 1 else f"{rate / one:.2f}x 1 worker"
        found.append((f"backfill job on Dask, {workers} worker process{'es' if workers > 1 else ''}", rate, note))
    return found


if __name__ == "__main__":
    main()
