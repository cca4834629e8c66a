"""Before and after: the same probes run against another copy of lago_dyn (an older commit) and this one,
in fresh processes, interleaved, with medians and ratios from the same run.

    git archive OLD_COMMIT lago_dyn | tar -x -C /tmp/before
    .venv/bin/python benchmarks/compare.py /tmp/before [--runs 7]

Each probe prints the milliseconds it measured itself (time.perf_counter), so interpreter start-up is
left out except where the probe says so. GitHub's spec is used when benchmarks/run.py has fetched it.
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from run import GITHUB_SPEC, PYTHON, ROOT, SPEC

FIRST_CALL = """
import sys, time, lago_dyn
spec = lago_dyn.load_spec(sys.argv[1])
operation = spec.operations[sys.argv[2]]
body = {body}
started = time.perf_counter()
assert not spec.validators.violations(operation.body.schema_uri, body, "body", "write")
print((time.perf_counter() - started) * 1000)"""
PROBES = {
    "first validated body, lago-1.51.0 (create_customer)": (
        FIRST_CALL.format(body={"customer": {"external_id": "c-1"}}), [str(SPEC), "create_customer"]),
    "first validated body, GitHub": (
        FIRST_CALL.format(body={"enabled_repositories": "all"}),
        [str(GITHUB_SPEC), "actions_set_github_actions_permissions_organization"]),
    "second Client(same path), lago-1.51.0": ("""
import sys, time, lago_dyn
lago_dyn.Client(sys.argv[1], base_url="http://127.0.0.1:9")
started = time.perf_counter()
lago_dyn.Client(sys.argv[1], base_url="http://127.0.0.1:9")
print((time.perf_counter() - started) * 1000)""", [str(SPEC)]),
    "load_spec, GitHub, disk cache warm": ("""
import sys, time, lago_dyn
started = time.perf_counter()
lago_dyn.load_spec(sys.argv[1])
print((time.perf_counter() - started) * 1000)""", [str(GITHUB_SPEC)]),
    "import lago_dyn (with interpreter start, wall)": ("import lago_dyn", []),
    "import lago_dyn + Client(), cache warm (ms)": ("""
import sys, time
started = time.perf_counter()
import lago_dyn
lago_dyn.Client(sys.argv[1], base_url="http://127.0.0.1:9", api_key="k")
print((time.perf_counter() - started) * 1000)""", [str(SPEC)]),
    "per call, create_customer, validation both ways (us)": ("""
import json, sys, time, lago_dyn
answer = lago_dyn.WireResponse(200, {"Content-Type": "application/json"}, json.dumps({"customer": {
    "lago_id": "5eb02857-a71e-4ea2-bcf9-57d3a41bc6ba", "external_id": "c-1", "name": "Acme", "sequential_id": 1,
    "slug": "c-1", "created_at": "2024-01-01T00:00:00Z", "applicable_timezone": "UTC", "currency": "EUR",
    "billing_configuration": {}, "metadata": [], "taxes": []}}).encode())
class Answering:  # no network: the work measured is lago_dyn's own
    def send(self, request): return answer
    def close(self): pass
client = lago_dyn.Client(sys.argv[1], base_url="http://127.0.0.1:9/api/v1", api_key="k", transport=Answering(),
                         response_validation="warn")
body = {"customer": {"external_id": "c-1", "name": "Acme", "email": "billing@acme.test", "currency": "EUR"}}
for _ in range(300):
    client.customers.create_customer(body)
started = time.perf_counter()
for _ in range(3000):
    client.customers.create_customer(body)
print((time.perf_counter() - started) / 3000 * 1e6)""", [str(SPEC)]),
}


def measure(code: str, args: list[str], tree: Path, cache: str) -> float:
    env = {**os.environ, "PYTHONPATH": str(tree), "LAGO_DYN_CACHE_DIR": cache}
    started = time.perf_counter()
    out = subprocess.run([PYTHON, "-c", code, *args], env=env, cwd=tree, capture_output=True, text=True,
                         timeout=300)  # cwd: `python -c` puts it first on sys.path
    wall = (time.perf_counter() - started) * 1000
    if out.returncode != 0:
        raise RuntimeError(f"{tree}: {(out.stderr.strip().splitlines() or ['failed'])[-1]}")
    printed = out.stdout.strip()
    return float(printed) if printed else wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path, help="a folder holding the older lago_dyn package")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    trees = {"before": args.before.resolve(), "after": ROOT}
    for tree in trees.values():  # bytecode for both, as an installed package has (whatever PYTHONDONTWRITEBYTECODE says)
        compileall.compile_dir(tree / "lago_dyn", quiet=1)
    caches = {name: tempfile.mkdtemp(prefix=f"lago-dyn-compare-{name}-") for name in trees}
    probes = {name: probe for name, probe in PROBES.items() if all(Path(a).is_file() for a in probe[1][:1])}
    for name, tree in trees.items():  # warm each tree's own disk cache once
        for code, probe_args in probes.values():
            measure(code, probe_args, tree, caches[name])
    samples = {(probe, name): [] for probe in probes for name in trees}
    for _ in range(args.runs):
        for probe, (code, probe_args) in probes.items():
            for name, tree in trees.items():
                samples[(probe, name)].append(measure(code, probe_args, tree, caches[name]))
    print(f"medians of {args.runs} runs, interleaved\n\n| probe | before | after | after/before |\n| --- | ---: | ---: | ---: |")
    for probe in probes:
        before, after = (statistics.median(samples[(probe, name)]) for name in trees)
        unit = "us" if probe.endswith("(us)") else "ms"
        print(f"| {probe} | {before:.1f} {unit} | {after:.1f} {unit} | {after / before:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
