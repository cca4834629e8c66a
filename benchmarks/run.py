"""lago_dyn benchmarks: cold start, per-call overhead, memory and scaling, against the floor (parsing the
spec once) and the peers, all in one run on this machine, then the async table of issue 13
(async_calls.py). Prints tables of medians and ratios and exits 1 when a target is missed.

    .venv/bin/python benchmarks/run.py [--quick]

Needs ../shared/specs beside the project. Peers (openapi-core, aiopenapi3, openapi3, lago-python-client;
async: aiopenapi3, fastspec, openapi-httpx-client) are used when installed (`pip install -e '.[bench]'`); a peer that cannot load the spec is listed with
its error.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import async_calls

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT.parent / "shared" / "specs"
SPEC = SPECS / "lago-1.51.0.yaml"
PYTHON = sys.executable

FLOOR_CODE = "import yaml, sys; yaml.load(open(sys.argv[1], 'rb'), Loader=yaml.CSafeLoader)"
OURS_CODE = (
    "import sys, lago_dyn; c = lago_dyn.Client(sys.argv[1], base_url=sys.argv[2], api_key='k'); "
    "c.find_all_customers(page=1, per_page=20)"
)
LOAD_CODE = "import sys, lago_dyn; lago_dyn.Client(sys.argv[1], base_url='http://127.0.0.1:9')"
# VmHWM, not ru_maxrss: the latter survives exec and would count the (large) benchmark parent's pages.
RSS_SUFFIX = ("; print(next(int(line.split()[1]) for line in open('/proc/self/status') "
              "if line.startswith('VmHWM')))")


def run_child(code: str, args: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall time of a fresh interpreter running `code`, and its peak RSS in KiB."""
    started = time.perf_counter()
    out = subprocess.run([PYTHON, "-c", code + RSS_SUFFIX, *args], env=env, capture_output=True, text=True,
                         check=True, timeout=120)
    elapsed = time.perf_counter() - started
    return elapsed, int(out.stdout.strip().splitlines()[-1])


def child_env(cache: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env["LAGO_DYN_CACHE_DIR"] = cache or ""
    return env


# -- the canned server ---------------------------------------------------------------------------------

def canned_bodies() -> dict[str, str]:
    """Valid answers for the two benchmarked operations, made from the spec's own schemas."""
    import lago_dyn
    from lago_dyn.testing import LocalLago

    lago = LocalLago(SPEC)
    create = lago.spec.operations["create_customer"].responses["200"].content["application/json"]
    listing = lago.spec.operations["find_all_customers"].responses["200"].content["application/json"]
    customer = lago.example_body(create)
    page = lago.example_body(listing)
    page["customers"] = [customer["customer"]] * 2
    page["meta"].update(current_page=1, next_page=None, prev_page=None, total_pages=1, total_count=2)
    client = lago_dyn.Client(lago.spec, base_url="http://127.0.0.1:9")
    for uri, body in ((create, customer), (listing, page)):
        assert not client.spec.validators.violations(uri, body, "body", "read"), "canned body is not valid"
    return {"POST /api/v1/customers": json.dumps(customer), "GET /api/v1/customers": json.dumps(page)}


def start_server(bodies: dict[str, str]) -> tuple[subprocess.Popen, str]:
    handle = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
    json.dump(bodies, handle)
    handle.close()
    process = subprocess.Popen([PYTHON, str(Path(__file__).with_name("bench_server.py")), handle.name],
                               stdout=subprocess.PIPE, text=True)
    port = process.stdout.readline().strip()
    return process, f"http://127.0.0.1:{port}"


# -- measurements --------------------------------------------------------------------------------------

def cold_start(runs: int, base_url: str) -> dict[str, tuple[float, int]]:
    cache = tempfile.mkdtemp(prefix="lago-dyn-bench-cache-")
    run_child(OURS_CODE, [str(SPEC), base_url + "/api/v1"], child_env(cache))  # fill the cache once
    samples: dict[str, list[tuple[float, int]]] = {"floor": [], "ours_nocache": [], "ours_cached": []}
    for _ in range(runs):  # interleaved, so that machine noise hits all three alike
        samples["floor"].append(run_child(FLOOR_CODE, [str(SPEC)], child_env(None)))
        samples["ours_nocache"].append(run_child(OURS_CODE, [str(SPEC), base_url + "/api/v1"], child_env(None)))
        samples["ours_cached"].append(run_child(OURS_CODE, [str(SPEC), base_url + "/api/v1"], child_env(cache)))
    return {key: (statistics.median(t for t, _ in values), int(statistics.median(r for _, r in values)))
            for key, values in samples.items()}


def per_call(base_url: str, bodies: dict[str, str], calls: int, rounds: int) -> tuple[dict, dict, dict]:
    """Round trips per contestant (median seconds per call) and peers' load errors."""
    import requests

    import lago_dyn
    from lago_dyn.wire import WireResponse

    body = {"customer": {"external_id": "bench-1", "name": "Bench", "currency": "EUR"}}
    api = base_url + "/api/v1"
    contestants: dict[str, dict[str, object]] = {}
    errors: dict[str, str] = {}

    session = requests.Session()
    contestants["bare requests"] = {
        "create_customer": lambda: session.post(api + "/customers", json=body).json(),
        "find_all_customers": lambda: session.get(api + "/customers", params={"page": 1, "per_page": 20}).json(),
    }
    spec = lago_dyn.load_spec(SPEC, cache_dir=False)
    ours = lago_dyn.Client(spec, base_url=api, api_key="k")
    contestants["lago_dyn"] = {
        "create_customer": lambda: ours.create_customer(body),
        "find_all_customers": lambda: ours.find_all_customers(page=1, per_page=20),
    }
    for name, factory in PEERS.items():
        try:
            contestants[name] = factory(api, body)
        except Exception as exc:  # a peer that cannot load the spec is reported, not fatal
            errors[name] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:110] if str(exc) else 'no message'}"

    samples: dict[str, dict[str, list[float]]] = {name: {"create_customer": [], "find_all_customers": []}
                                                 for name in contestants}
    for _ in range(rounds):
        for name, operations in contestants.items():
            for operation, call in operations.items():
                call()  # warm: connection open, validators compiled
                started = time.perf_counter()
                for _ in range(calls):
                    call()
                samples[name][operation].append((time.perf_counter() - started) / calls)
    round_trip = {name: {op: statistics.median(values) for op, values in ops.items()} for name, ops in samples.items()}

    # Our own work per call, without the network: an in-memory transport answering the canned bytes.
    class Canned:
        def send(self, request):
            key = f"{request.method} /api/v1/customers"
            return WireResponse(200, {"Content-Type": "application/json"}, bodies[key].encode())

        def close(self):
            pass

    offline = lago_dyn.Client(spec, base_url=api, api_key="k", transport=Canned())
    work = {"create_customer": lambda: offline.create_customer(body),
            "find_all_customers": lambda: offline.find_all_customers(page=1, per_page=20)}
    parse_only = {"create_customer": lambda: json.loads(bodies["POST /api/v1/customers"]),
                  "find_all_customers": lambda: json.loads(bodies["GET /api/v1/customers"])}
    overhead = {}
    for operation in work:
        ours_t, parse_t = [], []
        for _ in range(rounds):
            for target, sink in ((work[operation], ours_t), (parse_only[operation], parse_t)):
                target()
                started = time.perf_counter()
                for _ in range(calls):
                    target()
                sink.append((time.perf_counter() - started) / calls)
        overhead[operation] = statistics.median(ours_t) - statistics.median(parse_t)
    return round_trip, overhead, errors


def _openapi_core(api: str, body: dict) -> dict:
    import requests
    from openapi_core import OpenAPI
    from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

    openapi = OpenAPI.from_file_path(str(SPEC))
    session = requests.Session()
    server = api.rsplit("/api/v1", 1)[0]

    def call(method: str, path: str, **kwargs) -> object:
        request = requests.Request(method, server + path, headers={"Authorization": "Bearer k"}, **kwargs)
        prepared = request.prepare()
        # the spec's servers are api.getlago.com: validate the request as if it went there
        check = requests.Request(method, "https://api.getlago.com" + path, headers=request.headers, **kwargs)
        openapi.validate_request(RequestsOpenAPIRequest(check))
        response = session.send(prepared)
        openapi.validate_response(RequestsOpenAPIRequest(check), RequestsOpenAPIResponse(response))
        return response.json()

    return {
        "create_customer": lambda: call("POST", "/api/v1/customers", json=body),
        "find_all_customers": lambda: call("GET", "/api/v1/customers", params={"page": 1, "per_page": 20}),
    }


def _aiopenapi3(api: str, body: dict) -> dict:
    import httpx
    from aiopenapi3 import OpenAPI

    client = OpenAPI.load_file(api, SPEC, session_factory=httpx.Client)
    return {"create_customer": lambda: client._.createCustomer(data=body),
            "find_all_customers": lambda: client._.findAllCustomers(parameters={"page": 1, "per_page": 20})}


def _openapi3(api: str, body: dict) -> dict:
    import yaml
    from openapi3 import OpenAPI

    client = OpenAPI(yaml.safe_load(SPEC.read_text()))
    return {"create_customer": lambda: client.call_createCustomer(data=body),
            "find_all_customers": lambda: client.call_findAllCustomers(parameters={"page": 1, "per_page": 20})}


def _lago_python_client(api: str, body: dict) -> dict:
    from lago_python_client.client import Client
    from lago_python_client.models import Customer

    client = Client(api_key="k", api_url=api.rsplit("/api/v1", 1)[0])
    customer = Customer(external_id="bench-1", name="Bench", currency="EUR")
    return {"create_customer": lambda: client.customers.create(customer),
            "find_all_customers": lambda: client.customers.find_all({"page": 1, "per_page": 20})}


PEERS = {"openapi-core": _openapi_core, "aiopenapi3": _aiopenapi3, "openapi3": _openapi3,
         "lago-python-client": _lago_python_client}


def scaling(runs: int) -> list[tuple[str, int, int, float, int]]:
    rows = []
    for version in ("1.6.4", "1.21.0", "1.51.0"):
        path = SPECS / f"lago-{version}.yaml"
        samples = [run_child(LOAD_CODE, [str(path)], child_env(None)) for _ in range(runs)]
        import lago_dyn
        loaded = lago_dyn.load_spec(path, cache_dir=False)
        operations = len(loaded.operations) + len(loaded.webhooks)
        rows.append((version, path.stat().st_size, operations, statistics.median(t for t, _ in samples),
                     int(statistics.median(r for _, r in samples))))
    return rows


# -- report --------------------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs (a smoke test, noisier)")
    args = parser.parse_args()
    if not SPEC.is_file():
        print(f"benchmarks need {SPEC} (../shared beside the project)", file=sys.stderr)
        return 2
    runs, calls, rounds = (3, 100, 3) if args.quick else (7, 300, 5)
    bodies = canned_bodies()
    server, base_url = start_server(bodies)
    try:
        cold = cold_start(runs, base_url)
        round_trip, overhead, errors = per_call(base_url, bodies, calls, rounds)
        async_results, async_errors = async_calls.measure(base_url + "/api/v1", SPEC, rounds=runs,
                                                          calls=500 if args.quick else async_calls.CALLS)
    finally:
        server.terminate()
        server.wait()
    rows = scaling(runs)

    results: list[tuple[str, str, str, bool]] = []
    floor_t, floor_rss = cold["floor"]
    print(f"lago_dyn benchmarks, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"spec {SPEC.name} ({SPEC.stat().st_size // 1024} KiB, 263 operations), medians of {runs} runs\n")
    print("| measure | value | ratio | target | ok |\n| --- | ---: | ---: | --- | --- |")

    def row(measure: str, value: str, ratio: float | None, target: str, ok: bool) -> None:
        results.append((measure, value, target, ok))
        print(f"| {measure} | {value} | {'' if ratio is None else f'{ratio:.2f}x'} | {target} | {'yes' if ok else 'NO'} |")

    row("cold start: parse YAML only (floor)", f"{floor_t * 1000:.0f} ms", 1.0, "", True)
    for key, label in (("ours_nocache", "no disk cache"), ("ours_cached", "disk cache warm")):
        elapsed = cold[key][0]
        row(f"cold start: import + load + bind + 1st call, {label}", f"{elapsed * 1000:.0f} ms",
            elapsed / floor_t, "<= 2x floor", elapsed <= 2 * floor_t)
    for operation in ("create_customer", "find_all_customers"):
        row(f"our work per call, {operation} (build+validate both ways)", f"{overhead[operation] * 1e6:.0f} us",
            None, "< 100 us", overhead[operation] < 100e-6)
        bare = round_trip["bare requests"][operation]
        row(f"round trip, {operation}: bare requests", f"{bare * 1e6:.0f} us", 1.0, "", True)
        for name, per_op in round_trip.items():
            if name == "bare requests":
                continue
            value = per_op[operation]
            is_ours = name == "lago_dyn"
            row(f"round trip, {operation}: {name}", f"{value * 1e6:.0f} us", value / bare,
                "<= 1.25x bare" if is_ours else "", value <= 1.25 * bare if is_ours else True)
    for name, error in errors.items():
        print(f"| peer {name} | could not load the spec: {error} | | | |")
    ours_rss = cold["ours_nocache"][1]
    row("peak RSS: parse YAML only (floor)", f"{floor_rss / 1024:.0f} MiB", 1.0, "", True)
    row("peak RSS: load + bind + 1 call (no cache)", f"{ours_rss / 1024:.0f} MiB", ours_rss / floor_rss,
        "<= 1.5x floor", ours_rss <= 1.5 * floor_rss)
    cached_rss = cold["ours_cached"][1]
    row("peak RSS: load + bind + 1 call (cache warm)", f"{cached_rss / 1024:.0f} MiB", cached_rss / floor_rss,
        "<= 1.5x floor", cached_rss <= 1.5 * floor_rss)
    print("\n| spec | size | operations | load time | peak RSS | time/MB | RSS/MB |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for version, size, operations, elapsed, rss in rows:
        print(f"| {version} | {size // 1024} KiB | {operations} | {elapsed * 1000:.0f} ms | {rss / 1024:.0f} MiB "
              f"| {elapsed * 1000 / (size / 1e6):.0f} ms | {rss / 1024 / (size / 1e6):.0f} MiB |")
    small, large = rows[0], rows[-1]
    size_ratio = large[1] / small[1]
    linear = large[3] / small[3] <= size_ratio and large[4] / small[4] <= size_ratio
    print(f"\nscaling: size x{size_ratio:.2f}, load time x{large[3] / small[3]:.2f}, RSS x{large[4] / small[4]:.2f}: "
          f"{'no worse than linear' if linear else 'WORSE THAN LINEAR'}")
    async_lines, async_met = async_calls.table(async_results, async_errors, 500 if args.quick else async_calls.CALLS)
    print("\n" + "\n".join(async_lines))
    missed = [measure for measure, _, _, ok in results if not ok] + ([] if linear else ["scaling"])
    missed += [] if async_met else ["async throughput"]
    if missed:
        print("\ntargets missed: " + "; ".join(missed))
        return 1
    print("\nall targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
