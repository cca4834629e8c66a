"""The async table (issue 13): 2,000 `create_customer` calls with 50 in flight against the canned local
server, through lago_dyn's `AsyncClient`, a bare `httpx2.AsyncClient` (the floor: no spec, no
validation), and each installed async peer, each with one shared HTTP client allowed 50 connections, as
their docs recommend for throughput (and bare httpx 0.28, the transport httpx2 replaced). Contestants take turns, round after round, in one event loop; the
table shows each one's median calls per second.

    .venv/bin/python benchmarks/async_calls.py [--quick]     (run.py prints the same table)
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Awaitable, Callable

CALLS, IN_FLIGHT = 2000, 50
BODY = {"customer": {"external_id": "bench-1", "name": "Bench", "currency": "EUR"}}

Call = Callable[[], Awaitable[Any]]


async def _bare(module_name: str, api: str) -> tuple[Call, Callable[[], Awaitable[None]]]:
    """A bare client of httpx2 or of httpx 0.28 (its predecessor, same API): no spec, no validation."""
    import importlib

    http = importlib.import_module(module_name)
    client = http.AsyncClient(limits=http.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=IN_FLIGHT),
                              headers={"Authorization": "Bearer k"})

    async def call() -> Any:
        return (await client.post(api + "/customers", json=BODY)).json()

    return call, client.aclose


async def _bare_httpx2(api: str, spec_path: Path) -> tuple[Call, Callable[[], Awaitable[None]]]:
    return await _bare("httpx2", api)


async def _bare_httpx(api: str, spec_path: Path) -> tuple[Call, Callable[[], Awaitable[None]]]:
    """Why the transport is httpx2 (README: Async)."""
    return await _bare("httpx", api)


async def _lago_dyn(api: str, spec_path: Path) -> tuple[Call, Callable[[], Awaitable[None]]]:
    import lago_dyn

    client = await lago_dyn.AsyncClient.create(spec_path, base_url=api, api_key="k", pool_maxsize=IN_FLIGHT)
    return (lambda: client.create_customer(BODY)), client.aclose


async def _aiopenapi3(api: str, spec_path: Path) -> tuple[Call, Callable[[], Awaitable[None]]]:
    import httpx2
    from aiopenapi3 import FileSystemLoader, OpenAPI

    def session_factory(*args: Any, **kwargs: Any) -> Any:
        return httpx2.AsyncClient(*args, limits=httpx2.Limits(max_connections=IN_FLIGHT), **kwargs)

    # aiopenapi3 0.11 tells sync from async by the factory's return annotation, read as a class (this
    # module's annotations are strings).
    session_factory.__annotations__ = {"return": httpx2.AsyncClient}

    # Its documented way to load a spec from disk (without the loader it cannot read 1.51.0).
    client = OpenAPI.load_file(api, spec_path.name, session_factory=session_factory,
                               loader=FileSystemLoader(spec_path.parent))
    for server in client._root.servers:  # the spec names api.getlago.com and others
        server.url = api
    client.authenticate(bearerAuth="k")
    return (lambda: client._.createCustomer(data=BODY)), _nothing


async def _fastspec(api: str, spec_path: Path) -> tuple[Call, Callable[[], Awaitable[None]]]:
    import httpx2
    import yaml
    from fastcore.utils import dict2obj
    from fastspec.oapi import OpenAPIClient
    from fasttransport.core import AsyncTransport
    from fastspec.spec import SpecParser

    parsed = SpecParser.from_openapi(dict2obj(yaml.load(spec_path.read_bytes(), Loader=yaml.CSafeLoader)))
    shared = httpx2.AsyncClient(limits=httpx2.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=IN_FLIGHT))
    transport = AsyncTransport(client=shared, base_headers={"Authorization": "Bearer k"})
    client = OpenAPIClient(parsed, transport=transport, base_url=api)
    create = next(op for op in client.ops if op.path == "/customers" and op.verb.upper() == "POST")
    return (lambda: create(**BODY)), shared.aclose


async def _openapi_httpx_client(api: str, spec_path: Path) -> tuple[Call, Callable[[], Awaitable[None]]]:
    import httpx
    import yaml
    from openapiclient import OpenAPIClient

    definition = yaml.load(spec_path.read_bytes(), Loader=yaml.CSafeLoader)
    definition["servers"] = [{"url": api}]
    shared = httpx.AsyncClient(limits=httpx.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=IN_FLIGHT),
                               headers={"Authorization": "Bearer k"})
    client = await OpenAPIClient(definition=definition, httpx_async_client=shared).AsyncClient().__aenter__()
    return (lambda: client.createCustomer(data=BODY)), shared.aclose


async def _nothing() -> None:
    return None


CONTESTANTS = {"bare httpx2": _bare_httpx2, "lago_dyn AsyncClient": _lago_dyn, "bare httpx 0.28": _bare_httpx,
               "aiopenapi3": _aiopenapi3, "fastspec": _fastspec, "openapi-httpx-client": _openapi_httpx_client}
#: Floors rather than peers: HTTP clients that know nothing of the spec.
FLOORS = ("bare httpx2", "bare httpx 0.28")


async def _burst(call: Call, calls: int) -> tuple[float, float]:
    """Seconds for `calls` calls with IN_FLIGHT of them in flight at any time, and the CPU seconds this
    process spent on them (steadier than wall time when other work shares the machine)."""
    limit = asyncio.Semaphore(IN_FLIGHT)

    async def one() -> None:
        async with limit:
            await call()

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(one() for _ in range(calls)))
    return time.perf_counter() - started, time.process_time() - cpu


async def _measure(api: str, spec_path: Path, rounds: int, calls: int) -> tuple[dict[str, tuple[float, float]], dict[str, str]]:
    ready: dict[str, tuple[Call, Callable[[], Awaitable[None]]]] = {}
    errors: dict[str, str] = {}
    for name, factory in CONTESTANTS.items():
        try:
            ready[name] = await factory(api, spec_path)
            await ready[name][0]()  # a first call must succeed
            await _burst(ready[name][0], 4 * IN_FLIGHT)  # warm: every connection open, validators compiled
        except Exception as exc:  # a peer that is missing or cannot load or call the spec is reported
            ready.pop(name, None)
            first_line = str(exc).splitlines()[0][:100] if str(exc) else "no message"
            errors[name] = f"{type(exc).__name__}: {first_line}"
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in ready}
    for _ in range(rounds):
        for name, (call, _) in ready.items():
            samples[name].append(await _burst(call, calls))
    for _, close in ready.values():
        await close()
    return {name: (calls / statistics.median(wall for wall, _ in values),
                   statistics.median(cpu for _, cpu in values) / calls) for name, values in samples.items()}, errors


def measure(api: str, spec_path: Path, rounds: int, calls: int = CALLS) -> tuple[dict[str, tuple[float, float]], dict[str, str]]:
    """By contestant: median calls per second and CPU seconds per call; and why each missing peer is missing."""
    return asyncio.run(_measure(api, spec_path, rounds, calls))


def table(results: dict[str, tuple[float, float]], errors: dict[str, str], calls: int = CALLS) -> tuple[list[str], bool]:
    """Markdown rows, and whether lago_dyn made the target (>= 0.85x bare httpx2, ahead of every peer)."""
    floor = results["bare httpx2"][0]
    ours = results.get("lago_dyn AsyncClient", (0.0, 0.0))[0]
    lines = [f"| async: {calls:,} create_customer calls, {IN_FLIGHT} in flight | calls/s | ratio to bare httpx2 "
             "| client CPU per call | target |", "| --- | ---: | ---: | ---: | --- |"]
    for name, (rate, cpu) in results.items():
        target = ">= 0.85x bare httpx2, ahead of every peer" if name.startswith("lago_dyn") else ""
        lines.append(f"| {name} | {rate:,.0f} | {rate / floor:.2f}x | {cpu * 1e6:,.0f} us | {target} |")
    for name, error in errors.items():
        lines.append(f"| {name} | not measured: {error} | | | |")
    peers = [rate for name, (rate, _) in results.items() if name not in (*FLOORS, "lago_dyn AsyncClient")]
    return lines, ours >= 0.85 * floor and all(ours > rate for rate in peers)


def main() -> int:
    import run

    quick = "--quick" in sys.argv
    server, base = run.start_server(run.canned_answers())
    try:
        results, errors = measure(base + "/api/v1", run.SPEC, rounds=3 if quick else 7,
                                  calls=500 if quick else CALLS)
    finally:
        server.terminate()
        server.wait()
    lines, met = table(results, errors, 500 if quick else CALLS)
    print("\n".join(lines))
    print("\ntarget met" if met else "\ntarget missed")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
