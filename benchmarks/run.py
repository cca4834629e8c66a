"""lago_dyn benchmarks (issue 15): cold start, a giant spec, a second client, per-call work, round trips,
concurrency and scaling, against floors and every installed peer, all in one run on this machine, with
contestants interleaved. Prints tables of medians and ratios and exits 1 when a target is missed.

    .venv/bin/python benchmarks/run.py [--quick] [--tracing]

Floors: A `python -c pass`; B `import requests` + one POST; C PyYAML's C parse of the spec. Peers (each on
the same work, when installed: `pip install -e '.[bench]'`): openapi-core (validating requests and
answers, sent with requests), fastspec (sync client), aiopenapi3 (its documented FileSystemLoader),
openapi-httpx-client (no validation), lago-python-client (hand-written). GitHub's spec comes from the npm
package @octokit/openapi (pinned), cached under .cache/bench/; without npm or network those rows are
skipped with the reason. Needs ../shared/specs beside the project. The server is a separate process on
127.0.0.1. Round trips and threads also run lago_dyn on its httpx2 sync transport (`Httpx2SyncTransport`)
beside bare httpx2 (Python 3.11+). The async table (issue 13) comes from async_calls.py. "Tracing installed
but off" (issue 24) times a call with the opentelemetry API installed and imported and no tracer provider
set against the same call as a process without opentelemetry makes it, in one process; `--tracing` runs
only that row.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Callable

import async_calls

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT.parent / "shared" / "specs"
SPEC = SPECS / "lago-1.51.0.yaml"
PYTHON = sys.executable
GITHUB_PACKAGE = "@octokit/openapi@23.0.2"
GITHUB_SPEC = ROOT / ".cache" / "bench" / "octokit-openapi-23.0.2" / "api.github.com.json"
#: A GitHub operation with a JSON body and a 204 answer: its first call compiles the body's validator.
GITHUB_CALL = ("actions_set_github_actions_permissions_organization", "PUT /orgs/acme/actions/permissions")

BODY = {"customer": {"external_id": "bench-1", "name": "Bench", "currency": "EUR"}}
# VmHWM, not ru_maxrss: the latter survives exec and would count the (large) benchmark parent's pages.
RSS_SUFFIX = ("\nprint(next(int(line.split()[1]) for line in open('/proc/self/status') "
              "if line.startswith('VmHWM')))")

# -- what each fresh process runs (argv: spec path, API root URL) -------------------------------------

FLOOR_A = "pass"
FLOOR_B = f"import requests, sys\nrequests.post(sys.argv[2] + '/customers', json={BODY!r}).json()"
FLOOR_C = "import yaml, sys\nyaml.load(open(sys.argv[1], 'rb'), Loader=yaml.CSafeLoader)"
FLOOR_JSON = "import json, sys\njson.loads(open(sys.argv[1], 'rb').read())"
OURS = ("import sys, lago_dyn\nc = lago_dyn.Client(sys.argv[1], base_url=sys.argv[2], api_key='k')\n"
        f"c.create_customer({BODY!r})")
OURS_LOAD = "import sys, lago_dyn\nlago_dyn.Client(sys.argv[1], base_url='http://127.0.0.1:9')"
PEER_COLD = {
    "openapi-core": f"""
import sys, requests
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
openapi = OpenAPI.from_file_path(sys.argv[1])
check = requests.Request("POST", "https://api.getlago.com/api/v1/customers", json={BODY!r},
                         headers={{"Authorization": "Bearer k"}})
openapi.validate_request(RequestsOpenAPIRequest(check))
answer = requests.post(sys.argv[2] + "/customers", json={BODY!r}, headers={{"Authorization": "Bearer k"}})
openapi.validate_response(RequestsOpenAPIRequest(check), RequestsOpenAPIResponse(answer))""",
    "fastspec": f"""
import sys, yaml
from fastcore.utils import dict2obj
from fastspec.spec import SpecParser
from fastspec.oapi import OpenAPIClient
spec = SpecParser.from_openapi(dict2obj(yaml.load(open(sys.argv[1], 'rb'), Loader=yaml.CSafeLoader)))
client = OpenAPIClient(spec, sync=True, base_url=sys.argv[2], headers={{"Authorization": "Bearer k"}})
client.customers.create_customer(**{BODY!r})""",
    "aiopenapi3": f"""
import sys, httpx2
from pathlib import Path
from aiopenapi3 import OpenAPI, FileSystemLoader
spec = Path(sys.argv[1])
api = OpenAPI.load_file(sys.argv[2], spec.name, session_factory=httpx2.Client, loader=FileSystemLoader(spec.parent))
for server in api._root.servers:  # the spec names api.getlago.com and others
    server.url = sys.argv[2]
api.authenticate(bearerAuth="k")
api._.createCustomer(data={BODY!r})""",
    "openapi-httpx-client": f"""
import sys
from openapiclient import OpenAPIClient
api = OpenAPIClient(definition=sys.argv[1])
with api.Client(headers={{"Authorization": "Bearer k"}}) as client:
    api.base_url = sys.argv[2]
    client.createCustomer(data={BODY!r})""",
    "lago-python-client": f"""
import sys
from lago_python_client.client import Client
from lago_python_client.models import Customer
client = Client(api_key="k", api_url=sys.argv[2].rsplit("/api/v1", 1)[0])
client.customers.create(Customer(**{BODY['customer']!r}))""",
}
PEER_GITHUB_LOAD = {
    "fastspec": """
import sys, json
from fastcore.utils import dict2obj
from fastspec.spec import SpecParser
from fastspec.oapi import OpenAPIClient
OpenAPIClient(SpecParser.from_openapi(dict2obj(json.loads(open(sys.argv[1], 'rb').read()))), sync=True)""",
    "openapi-httpx-client": """
import sys
from openapiclient import OpenAPIClient
api = OpenAPIClient(definition=sys.argv[1])
api.Client().__enter__()""",
}
GITHUB_FIRST_CALL = f"""
import sys, time, lago_dyn
client = lago_dyn.Client(sys.argv[1], base_url=sys.argv[2], api_key="k", profile=lago_dyn.GENERIC)
started = time.perf_counter()
client.transport  # the transport opens (importing requests) on first use: timed apart from the call
opened = time.perf_counter()
client.{GITHUB_CALL[0]}("acme", {{"enabled_repositories": "all", "allowed_actions": "selected"}})
print((opened - started) * 1000, (time.perf_counter() - opened) * 1000)"""
SECOND_CLIENT = """
import sys, time, tracemalloc, statistics, lago_dyn
kept = [lago_dyn.Client(sys.argv[1], base_url="http://127.0.0.1:9")]
times = []
for _ in range(5):
    started = time.perf_counter()
    kept.append(lago_dyn.Client(sys.argv[1], base_url="http://127.0.0.1:9"))
    times.append(time.perf_counter() - started)
tracemalloc.start()
before = tracemalloc.get_traced_memory()[0]
kept.append(lago_dyn.Client(sys.argv[1], base_url="http://127.0.0.1:9"))
print(statistics.median(times) * 1000, (tracemalloc.get_traced_memory()[0] - before) / 1024)"""


def run_child(code: str, args: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """Wall time of a fresh interpreter running `code`, its peak RSS in KiB, and what it printed."""
    started = time.perf_counter()
    out = subprocess.run([PYTHON, "-c", code + RSS_SUFFIX, *args], env=env, capture_output=True, text=True,
                         timeout=300)
    elapsed = time.perf_counter() - started
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(last[:150])
    lines = out.stdout.strip().splitlines()
    return elapsed, int(lines[-1]), "\n".join(lines[:-1])


def child_env(cache: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env["LAGO_DYN_CACHE_DIR"] = cache or ""
    return env


def installed(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


PEER_MODULES = {"openapi-core": "openapi_core", "fastspec": "fastspec", "aiopenapi3": "aiopenapi3",
                "openapi-httpx-client": "openapiclient", "lago-python-client": "lago_python_client"}


# -- inputs: the canned server, GitHub's spec ----------------------------------------------------------

def canned_answers() -> dict[str, dict]:
    """Valid answers for the benchmarked operations, made from the spec's own schemas."""
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
    return {"POST /api/v1/customers": {"status": 200, "body": json.dumps(customer)},
            "GET /api/v1/customers": {"status": 200, "body": json.dumps(page)},
            GITHUB_CALL[1]: {"status": 204, "body": None}}


def start_server(answers: dict[str, dict]) -> tuple[subprocess.Popen, str]:
    handle = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
    json.dump(answers, handle)
    handle.close()
    process = subprocess.Popen([PYTHON, str(Path(__file__).with_name("bench_server.py")), handle.name],
                               stdout=subprocess.PIPE, text=True)
    port = process.stdout.readline().strip()
    return process, f"http://127.0.0.1:{port}"


def github_spec() -> tuple[Path | None, str]:
    """GitHub's spec from its npm package (pinned), fetched once with npm and kept under .cache/bench/."""
    if GITHUB_SPEC.is_file():
        return GITHUB_SPEC, ""
    with tempfile.TemporaryDirectory() as folder:
        try:
            packed = subprocess.run(["npm", "pack", GITHUB_PACKAGE, "--silent", "--pack-destination", folder],
                                    capture_output=True, text=True, timeout=300)
        except (OSError, subprocess.TimeoutExpired) as error:
            return None, f"npm pack {GITHUB_PACKAGE} failed: {type(error).__name__}"
        archives = list(Path(folder).glob("*.tgz"))
        if packed.returncode != 0 or not archives:
            return None, f"npm pack {GITHUB_PACKAGE} failed (offline?)"
        with tarfile.open(archives[0]) as archive:
            member = archive.extractfile("package/generated/api.github.com.json")
            GITHUB_SPEC.parent.mkdir(parents=True, exist_ok=True)
            GITHUB_SPEC.write_bytes(member.read())
    return GITHUB_SPEC, ""


# -- measurements --------------------------------------------------------------------------------------

def interleaved(contestants: dict[str, tuple[str, list[str], dict[str, str]]], runs: int,
                errors: dict[str, str]) -> dict[str, tuple[float, int, list[str]]]:
    """Each contestant run `runs` times in fresh processes, round-robin so that machine noise hits all
    alike: median seconds, median peak RSS (KiB), and what each run printed. A failing one goes to
    `errors` and is dropped."""
    samples: dict[str, list[tuple[float, int, str]]] = {name: [] for name in contestants}
    for _ in range(runs):
        for name, (code, args, env) in contestants.items():
            if name in errors:
                continue
            try:
                samples[name].append(run_child(code, args, env))
            except (RuntimeError, subprocess.TimeoutExpired) as error:
                errors[name] = str(error)
    return {name: (statistics.median(t for t, _, _ in values), int(statistics.median(r for _, r, _ in values)),
                   [printed for _, _, printed in values]) for name, values in samples.items() if values}


def cold_start(runs: int, api: str, errors: dict[str, str]) -> dict[str, tuple[float, int, list[str]]]:
    cache = tempfile.mkdtemp(prefix="lago-dyn-bench-cache-")
    run_child(OURS, [str(SPEC), api], child_env(cache))  # fill the cache once
    contestants = {
        "A": (FLOOR_A, [], child_env(None)),
        "B": (FLOOR_B, [str(SPEC), api], child_env(None)),
        "C": (FLOOR_C, [str(SPEC), api], child_env(None)),
        "ours, cache warm": (OURS, [str(SPEC), api], child_env(cache)),
        "ours, no cache": (OURS, [str(SPEC), api], child_env(None)),
    }
    for name, code in PEER_COLD.items():
        if installed(PEER_MODULES[name]):
            contestants[name] = (code, [str(SPEC), api], child_env(None))
    return interleaved(contestants, runs, errors)


def github(runs: int, path: Path, server: str, errors: dict[str, str]) -> dict[str, tuple[float, int, list[str]]]:
    contestants = {
        "json.loads": (FLOOR_JSON, [str(path)], child_env(None)),
        "ours": (OURS_LOAD, [str(path)], child_env(None)),
        "ours, first call": (GITHUB_FIRST_CALL, [str(path), server], child_env(None)),
    }
    for name, code in PEER_GITHUB_LOAD.items():
        if installed(PEER_MODULES[name]):
            contestants[name] = (code, [str(path)], child_env(None))
    return interleaved(contestants, runs, errors)


def second_client(runs: int) -> tuple[float, float]:
    """A second `Client(same path)` in one process: median ms, and KiB it keeps (tracemalloc)."""
    results = [run_child(SECOND_CLIENT, [str(SPEC)], child_env(None))[2].split() for _ in range(runs)]
    return statistics.median(float(ms) for ms, _ in results), statistics.median(float(kib) for _, kib in results)


def round_trips(api: str, calls: int, rounds: int, errors: dict[str, str]) -> dict[str, float]:
    """Median seconds per create_customer over keep-alive, every contestant in one process, interleaved:
    lago_dyn on each sync transport, and each bare HTTP library it can send with (the same headers)."""
    import requests

    import lago_dyn

    spec = lago_dyn.load_spec(SPEC)
    session = requests.Session()
    session.headers["Authorization"] = "Bearer k"
    ours = lago_dyn.Client(spec, base_url=api, api_key="k")
    contestants = {
        "bare requests": lambda: session.post(api + "/customers", json=BODY).json(),
        "lago_dyn": lambda: ours.create_customer(BODY),
    }
    if installed("httpx2"):
        import httpx2

        from lago_dyn.http.httpx2_transport import Httpx2SyncTransport

        bare_httpx2 = httpx2.Client(headers={"Authorization": "Bearer k"})
        ours_httpx2 = lago_dyn.Client(spec, base_url=api, api_key="k", transport=Httpx2SyncTransport())
        contestants[BARE_HTTPX2] = lambda: bare_httpx2.post(api + "/customers", json=BODY).json()
        contestants[OURS_HTTPX2] = lambda: ours_httpx2.create_customer(BODY)
    for name, factory in PEER_CALLS.items():
        if not installed(PEER_MODULES[name]):
            continue
        try:
            contestants[name] = factory(api)
            contestants[name]()
        except Exception as error:  # a peer that cannot load the spec or call is reported, not fatal
            errors[name] = f"{type(error).__name__}: {(str(error).splitlines() or ['no message'])[0][:110]}"
            contestants.pop(name, None)
    return per_call(contestants, calls, rounds)


def _openapi_core(api: str):
    import requests
    from openapi_core import OpenAPI
    from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

    openapi = OpenAPI.from_file_path(str(SPEC))
    session = requests.Session()
    headers = {"Authorization": "Bearer k"}
    check = requests.Request("POST", "https://api.getlago.com/api/v1/customers", json=BODY, headers=headers)

    def call():
        openapi.validate_request(RequestsOpenAPIRequest(check))
        answer = session.post(api + "/customers", json=BODY, headers=headers)
        openapi.validate_response(RequestsOpenAPIRequest(check), RequestsOpenAPIResponse(answer))
        return answer.json()

    return call


def _fastspec(api: str):
    import yaml
    from fastcore.utils import dict2obj
    from fastspec.oapi import OpenAPIClient
    from fastspec.spec import SpecParser

    spec = SpecParser.from_openapi(dict2obj(yaml.load(SPEC.read_bytes(), Loader=yaml.CSafeLoader)))
    client = OpenAPIClient(spec, sync=True, base_url=api, headers={"Authorization": "Bearer k"})
    return lambda: client.customers.create_customer(**BODY)


def _aiopenapi3(api: str):
    import httpx2
    from aiopenapi3 import FileSystemLoader, OpenAPI

    client = OpenAPI.load_file(api, SPEC.name, session_factory=httpx2.Client, loader=FileSystemLoader(SPEC.parent))
    for server in client._root.servers:  # the spec names api.getlago.com and others
        server.url = api
    client.authenticate(bearerAuth="k")
    return lambda: client._.createCustomer(data=BODY)


def _openapi_httpx_client(api: str):
    from openapiclient import OpenAPIClient

    factory = OpenAPIClient(definition=str(SPEC))
    client = factory.Client(headers={"Authorization": "Bearer k"}).__enter__()
    factory.base_url = api
    return lambda: client.createCustomer(data=BODY)


def _lago_python_client(api: str):
    from lago_python_client.client import Client
    from lago_python_client.models import Customer

    client = Client(api_key="k", api_url=api.rsplit("/api/v1", 1)[0])
    return lambda: client.customers.create(Customer(**BODY["customer"]))


#: The sync round-trip rows of httpx2: bare, and lago_dyn sending with `Httpx2SyncTransport`.
BARE_HTTPX2, OURS_HTTPX2 = "bare httpx2", "lago_dyn, httpx2 transport"

PEER_CALLS = {"openapi-core": _openapi_core, "fastspec": _fastspec, "aiopenapi3": _aiopenapi3,
              "openapi-httpx-client": _openapi_httpx_client, "lago-python-client": _lago_python_client}


class CannedTransport:
    """An in-memory transport answering every call with the same canned bytes: a call's own work, no I/O."""

    def __init__(self, answer: bytes):
        self.answer = answer

    def send(self, request):
        from lago_dyn.wire import WireResponse

        return WireResponse(200, {"Content-Type": "application/json"}, self.answer)

    def close(self):
        pass


def per_call(targets: dict[str, Callable[[], object]], calls: int, rounds: int,
             setups: dict[str, Callable[[], None]] | None = None) -> dict[str, float]:
    """Median seconds per call of each target, `calls` at a time, the targets interleaved round by round so
    that machine noise hits all alike (each warmed by one call first, after its setup, untimed, if any).
    Every other round runs them in reverse order: the first of a round is measurably slower (about 1%)."""
    samples: dict[str, list[float]] = {name: [] for name in targets}
    for round_number in range(rounds):
        for name in (reversed(targets) if round_number % 2 else targets):
            target = targets[name]
            (setups or {}).get(name, lambda: None)()
            target()
            started = time.perf_counter()
            for _ in range(calls):
                target()
            samples[name].append((time.perf_counter() - started) / calls)
    return {name: statistics.median(values) for name, values in samples.items()}


def our_work(answers: dict[str, dict], calls: int, rounds: int) -> float:
    """Seconds per create_customer of our own work (build + validate request + validate answer), with an
    in-memory transport answering the canned bytes, minus the JSON parse every client does."""
    import lago_dyn

    answer = answers["POST /api/v1/customers"]["body"].encode()
    offline = lago_dyn.Client(lago_dyn.load_spec(SPEC), base_url="http://127.0.0.1:9", api_key="k",
                              transport=CannedTransport(answer))
    medians = per_call({"ours": lambda: offline.create_customer(BODY), "parse": lambda: json.loads(answer)},
                       calls, rounds)
    return medians["ours"] - medians["parse"]


def tracing_off(answers: dict[str, dict], calls: int, rounds: int) -> tuple[float, float] | str:
    """Seconds per offline create_customer with the opentelemetry API installed and imported and no tracer
    provider set (each call asks whether one was set, and makes no span), and the same call as a process
    without opentelemetry makes it; one client, interleaved round by round in one process. A call learns
    about OpenTelemetry only from `sys.modules` (tracing.configured), so taking the API out of it for a
    round is exactly a process where it is not installed (or never imported). A reason when it cannot run."""
    if not installed("opentelemetry"):
        return "opentelemetry-api is not installed (pip install -e '.[opentelemetry]')"
    from opentelemetry import trace

    import lago_dyn

    if not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        return "a tracer provider is set in this process (OTEL_* environment?): tracing is not off"
    answer = answers["POST /api/v1/customers"]["body"].encode()
    client = lago_dyn.Client(lago_dyn.load_spec(SPEC), base_url="http://127.0.0.1:9", api_key="k",
                             transport=CannedTransport(answer))
    api = {name: module for name, module in sys.modules.items() if name.split(".")[0] == "opentelemetry"}

    def without_the_api():
        for name in api:
            sys.modules.pop(name, None)

    call = lambda: client.create_customer(BODY)  # noqa: E731 - the same call for both
    try:
        medians = per_call({"installed, off": call, "not installed": call}, calls, rounds,
                           setups={"installed, off": lambda: sys.modules.update(api),
                                   "not installed": without_the_api})
    finally:
        sys.modules.update(api)
    return medians["installed, off"], medians["not installed"]


def concurrency(api: str, total: int, in_flight: int) -> dict[str, float]:
    """Calls per second for `total` create_customer calls with `in_flight` threads sharing one client."""
    from concurrent.futures import ThreadPoolExecutor

    import requests

    import lago_dyn

    spec = lago_dyn.load_spec(SPEC)
    session = requests.Session()
    session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=in_flight))
    ours = lago_dyn.Client(spec, base_url=api, api_key="k", pool_maxsize=in_flight)
    contestants = {"bare requests (threads)": lambda _: session.post(api + "/customers", json=BODY).json(),
                   "lago_dyn (threads)": lambda _: ours.create_customer(BODY)}
    if installed("httpx2"):
        import httpx2

        from lago_dyn.http.httpx2_transport import Httpx2SyncTransport

        limits = httpx2.Limits(max_connections=in_flight, max_keepalive_connections=in_flight)
        bare_httpx2 = httpx2.Client(limits=limits)
        ours_httpx2 = lago_dyn.Client(spec, base_url=api, api_key="k",
                                      transport=Httpx2SyncTransport(pool_maxsize=in_flight))
        contestants[f"{BARE_HTTPX2} (threads)"] = lambda _: bare_httpx2.post(api + "/customers", json=BODY).json()
        contestants[f"{OURS_HTTPX2} (threads)"] = lambda _: ours_httpx2.create_customer(BODY)
    rates = {}
    for name, call in contestants.items():
        with ThreadPoolExecutor(in_flight) as pool:
            list(pool.map(call, range(in_flight)))  # connections open
            started = time.perf_counter()
            list(pool.map(call, range(total)))
            rates[name] = total / (time.perf_counter() - started)
    return rates


def scaling(runs: int, github_path: Path | None) -> list[tuple[str, int, float, int]]:
    paths = [SPECS / f"lago-{version}.yaml" for version in ("1.6.4", "1.21.0", "1.51.0")]
    paths += [github_path] if github_path else []
    errors: dict[str, str] = {}
    measured = interleaved({path.name: (OURS_LOAD, [str(path)], child_env(None)) for path in paths}, runs, errors)
    return [(path.name, path.stat().st_size, measured[path.name][0], measured[path.name][1]) for path in paths]


# -- report --------------------------------------------------------------------------------------------

class Report:
    def __init__(self) -> None:
        self.missed: list[str] = []

    def table(self, title: str) -> None:
        print(f"\n{title}\n\n| measure | value | ratio | target |\n| --- | ---: | ---: | --- |")

    def row(self, measure: str, value: str, ratio: str = "", target: str = "", ok: bool | None = None) -> None:
        verdict = "" if ok is None else (": met" if ok else ": MISSED")
        if ok is False:
            self.missed.append(measure)
        print(f"| {measure} | {value} | {ratio} | {target}{verdict} |")


#: "No slower": a ratio within this of 1.00 is the noise of two medians of the same work on a shared machine.
TRACING_NOISE = 1.03


def tracing_row(report: Report, tracing: tuple[float, float] | str) -> None:
    measure = "tracing installed but off (no provider): per call, create_customer, in-memory transport"
    if isinstance(tracing, str):
        report.row(measure, f"skipped: {tracing}")
        return
    off, absent = tracing
    report.row(measure, f"{off * 1e6:.1f} us", f"{off / absent:.2f}x without opentelemetry ({absent * 1e6:.1f} us)",
               f"no slower (<= {TRACING_NOISE:.2f}x)", off <= TRACING_NOISE * absent)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one or two runs of each (a smoke test, noisier)")
    parser.add_argument("--tracing", action="store_true",
                        help="only the 'tracing installed but off' row (a few seconds), e.g. after a change to tracing.py")
    args = parser.parse_args()
    if not SPEC.is_file():
        print(f"benchmarks need {SPEC} (../shared beside the project)", file=sys.stderr)
        return 2
    runs, calls, rounds, total = (2, 50, 2, 200) if args.quick else (7, 300, 5, 2000)
    compileall.compile_dir(ROOT / "lago_dyn", quiet=1)  # bytecode, as an installed package has
    errors: dict[str, str] = {}
    answers = canned_answers()
    tracing = tracing_off(answers, calls, rounds * 40)
    if args.tracing:
        report = Report()
        report.table("In one process")
        tracing_row(report, tracing)
        return 1 if report.missed else 0
    github_path, github_skipped = github_spec()
    server, base = start_server(answers)
    api = base + "/api/v1"
    try:
        cold = cold_start(runs, api, errors)
        giant = github(runs, github_path, base, errors) if github_path else {}
        second_ms, second_kib = second_client(runs)
        trips = round_trips(api, calls, rounds, errors)
        work = our_work(answers, calls * 10, rounds)
        rates = concurrency(api, total, 50)
        async_results, async_errors = async_calls.measure(api, SPEC, rounds=runs,
                                                          calls=500 if args.quick else async_calls.CALLS)
    finally:
        server.terminate()
        server.wait()
    sizes = scaling(runs, github_path)

    report = Report()
    print(f"lago_dyn benchmarks, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, {SPEC.name} ({SPEC.stat().st_size // 1024} KiB), medians of {runs} runs")
    report.table("Fresh process: import + Client + one validated POST create_customer")
    floor_b, floor_c = cold["B"][0], cold["C"][0]
    for name, label in (("A", "floor A: python -c pass"), ("B", "floor B: import requests + 1 POST"),
                        ("C", "floor C: PyYAML C parse of the spec")):
        report.row(label, f"{cold[name][0] * 1000:.0f} ms", f"{cold[name][0] / floor_b:.2f}x B")
    warm, fresh = cold["ours, cache warm"][0], cold["ours, no cache"][0]
    report.row("lago_dyn, spec cache warm", f"{warm * 1000:.0f} ms", f"{warm / floor_b:.2f}x B", "<= 1.3x B",
               warm <= 1.3 * floor_b)
    report.row("lago_dyn, no cache", f"{fresh * 1000:.0f} ms", f"{fresh / floor_c:.2f}x C", "<= 1.3x C",
               fresh <= 1.3 * floor_c)
    for name in PEER_COLD:
        if name in cold:
            report.row(name, f"{cold[name][0] * 1000:.0f} ms", f"{cold[name][0] / floor_b:.2f}x B")
    report.row("peak RSS: floor C / lago_dyn warm / no cache",
               " / ".join(f"{cold[key][1] / 1024:.0f}" for key in ("C", "ours, cache warm", "ours, no cache")) + " MiB",
               f"{cold['ours, no cache'][1] / cold['C'][1]:.2f}x C")

    report.table("GitHub's spec (api.github.com.json, " + (
        f"{github_path.stat().st_size / 1e6:.1f} MB)" if github_path else "skipped)"))
    if not giant:
        report.row("GitHub rows", f"skipped: {github_skipped}")
    else:
        floor_json, floor_rss = giant["json.loads"][0], giant["json.loads"][1]
        report.row("floor: json.loads of the file (fresh process)", f"{floor_json * 1000:.0f} ms", "1.00x")
        ours_t, ours_rss = giant["ours"][0], giant["ours"][1]
        report.row("lago_dyn: import + Client", f"{ours_t * 1000:.0f} ms", f"{ours_t / floor_json:.2f}x",
                   "<= 1.5x json.loads", ours_t <= 1.5 * floor_json)
        opening = statistics.median(float(printed.split()[0]) for printed in giant["ours, first call"][2])
        first = statistics.median(float(printed.split()[1]) for printed in giant["ours, first call"][2])
        report.row(f"lago_dyn: first validated call ({GITHUB_CALL[0]})", f"{first:.1f} ms", "", "<= 20 ms",
                   first <= 20)
        report.row("lago_dyn: opening the transport before it (importing requests, moved out of Client())",
                   f"{opening:.1f} ms")
        whole = giant["ours, first call"][0]
        report.row("lago_dyn: the whole process, import + Client + first call", f"{whole * 1000:.0f} ms",
                   f"{whole / floor_json:.2f}x")
        report.row("peak RSS: json.loads / lago_dyn", f"{floor_rss / 1024:.0f} / {ours_rss / 1024:.0f} MiB",
                   f"{ours_rss / floor_rss:.2f}x", "<= 1.5x json.loads", ours_rss <= 1.5 * floor_rss)
        for name in PEER_GITHUB_LOAD:
            if name in giant:
                report.row(f"{name}: import + client", f"{giant[name][0] * 1000:.0f} ms",
                           f"{giant[name][0] / floor_json:.2f}x")

    report.table("In one process")
    report.row("second Client(same path): time", f"{second_ms:.1f} ms", "", "<= 5 ms", second_ms <= 5)
    report.row("second Client(same path): memory kept", f"{second_kib / 1024:.2f} MiB", "", "<= 1 MiB",
               second_kib <= 1024)
    report.row("our work per call, create_customer (build + validate both ways)", f"{work * 1e6:.1f} us", "",
               "<= 25 us", work <= 25e-6)
    tracing_row(report, tracing)
    bare = trips["bare requests"]
    peers = {name: seconds for name, seconds in trips.items() if name in PEER_CALLS}
    for name, seconds in trips.items():
        ratio, target, ok = f"{seconds / bare:.2f}x", "", None
        if name == "lago_dyn":
            target, ok = "<= 1.1x bare requests", seconds <= 1.1 * bare
        elif name in (BARE_HTTPX2, OURS_HTTPX2):
            ratio += f" ({seconds / trips[BARE_HTTPX2]:.2f}x bare httpx2)"
        if name == OURS_HTTPX2:
            target, ok = "<= 1.1x bare httpx2", seconds <= 1.1 * trips[BARE_HTTPX2]
        report.row(f"round trip create_customer, keep-alive: {name}", f"{seconds * 1e6:.0f} us", ratio, target, ok)
    if OURS_HTTPX2 in trips and peers:
        fastest = min(peers, key=peers.get)
        report.row(f"{OURS_HTTPX2}: faster per call than every peer",
                   f"{peers[fastest] / trips[OURS_HTTPX2]:.2f}x as fast as the fastest peer ({fastest})", "",
                   "faster than every peer", trips[OURS_HTTPX2] < peers[fastest])
    for name, rate in rates.items():
        report.row(f"{total} calls, 50 in flight: {name}", f"{rate:.0f}/s",
                   f"{rate / rates['bare requests (threads)']:.2f}x")
    for name, error in errors.items():
        report.row(f"{name}: could not run", error.replace("|", "/"))

    print("\n| spec | size | load time | peak RSS | ms/MB | MiB/MB |\n| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, size, elapsed, rss in sizes:
        print(f"| {name} | {size / 1e6:.2f} MB | {elapsed * 1000:.0f} ms | {rss / 1024:.0f} MiB "
              f"| {elapsed * 1000 / (size / 1e6):.0f} | {rss / 1024 / (size / 1e6):.1f} |")
    small, large = sizes[0], sizes[-1]
    size_ratio = large[1] / small[1]
    linear = large[2] / small[2] <= size_ratio and large[3] / small[3] <= size_ratio
    print(f"\nscaling {small[0]} -> {large[0]}: size x{size_ratio:.2f}, load time x{large[2] / small[2]:.2f}, "
          f"peak RSS x{large[3] / small[3]:.2f}: {'no worse than linear' if linear else 'WORSE THAN LINEAR'}")
    if not linear:
        report.missed.append("scaling")
    async_lines, async_met = async_calls.table(async_results, async_errors, 500 if args.quick else async_calls.CALLS)
    print("\n" + "\n".join(async_lines))
    if not async_met:
        report.missed.append("async throughput")
    if report.missed:
        print("\ntargets missed: " + "; ".join(report.missed))
        return 1
    print("\nall targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
