"""Driving every operation of a spec through lago_dyn against Stoplight Prism, an independent
implementation of the spec (mock mode: it validates each request and answers with the spec's examples).

Kept apart from the pytest files so that it can also print its table on its own:
    .venv/bin/python tests/conformance/harness.py ../shared/specs/lago-1.51.0.yaml [lago-fixes]
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import requests

import lago_dyn
from lago_dyn.spec import Operation, Spec
from lago_dyn.examples import example

ROOT = Path(__file__).resolve().parents[2]
PRISM = ROOT / "tools" / "prism" / "node_modules" / ".bin" / "prism"
#: Result tables of this pytest session, printed at its end by tests/conftest.py.
TABLES: list[str] = []


def prism_missing_reason() -> str | None:
    if shutil.which("node") is None:
        return "Node.js is not installed"
    if not PRISM.exists():
        return "Prism is not installed: run `cd tools/prism && npm ci` (scripts/bootstrap.sh does)"
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def prism(spec_path: Path, *, errors: bool = False, timeout: float = 60.0) -> Iterator[str]:
    """Prism in mock mode on a free 127.0.0.1 port; yields its base URL and stops it afterwards."""
    port = _free_port()
    command = [str(PRISM), "mock", "-h", "127.0.0.1", "-p", str(port), str(spec_path)]
    if errors:
        command.append("--errors")
    log = open(os.devnull, "w")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"Prism exited with status {process.returncode} before answering")
            try:
                requests.get(base_url + "/", timeout=1)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Prism did not answer within {timeout} s") from None
                time.sleep(0.2)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def arguments_for(spec: Spec, operation: Operation, validators: Any) -> dict[str, Any]:
    """Arguments for a call, from the spec itself: every parameter and the body, from the spec's
    examples where they are valid, else generated from the schemas."""
    arguments: dict[str, Any] = {}
    for parameter in operation.parameters:
        if parameter.schema_uri is None:
            continue
        arguments[parameter.python_name] = _valid_example(spec, parameter.schema_uri, validators)
    if operation.body is not None and operation.body.schema_uri is not None:
        arguments[operation.body.python_name] = _valid_example(spec, operation.body.schema_uri, validators)
    return arguments


def _valid_example(spec: Spec, schema_uri: str, validators: Any) -> Any:
    schema = spec.node_at(schema_uri)
    value = None
    for use_examples in (True, False):
        value = example(spec, schema, use_examples=use_examples, uri=schema_uri)
        if not validators.violations(schema_uri, value, "value", "write"):
            return value
    return value


@dataclass
class Outcome:
    operation: str
    accepted: bool
    response_valid: bool
    problem: str = ""
    #: For an answer that broke the spec: the violations, the body and the schema it was checked against.
    violations: list = field(default_factory=list)
    body: Any = None
    schema_uri: str | None = None


@dataclass
class Report:
    spec: str
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not (o.accepted and o.response_valid)]

    def table(self) -> str:
        called = len(self.outcomes)
        accepted = sum(o.accepted for o in self.outcomes)
        valid = sum(o.response_valid for o in self.outcomes)
        lines = [f"| {self.spec} | {called} | {accepted} ({100 * accepted / called:.0f}%) | "
                 f"{valid} ({100 * valid / called:.0f}%) |"]
        return "\n".join(lines)


def run(spec_path: Path, base_url: str, overlays: list | None = None) -> Report:
    """Call every operation of the spec against Prism with validation on both sides. Prism serves the
    upstream spec as it is; `overlays` patch only lago_dyn's copy of it."""
    spec = lago_dyn.load_spec(spec_path, overlays=overlays)
    client = lago_dyn.Client(spec, base_url=base_url, api_key="conformance-key",
                             retry=lago_dyn.RetryPolicy(retries=0))
    # Arguments come from the upstream spec, so that Prism (which serves it) accepts them.
    upstream = lago_dyn.load_spec(spec_path) if overlays else spec
    upstream_validators = upstream.validators
    report = Report(spec_path.name + (" + " + ", ".join(map(str, overlays)) if overlays else ""))
    for name, function in sorted(client.operations.items()):
        arguments = arguments_for(upstream, upstream.operations[name], upstream_validators)
        try:
            function(**arguments)
            report.outcomes.append(Outcome(name, True, True))
        except lago_dyn.RequestValidationError as error:
            report.outcomes.append(Outcome(name, False, False, f"our own validator refused the generated "
                                                               f"arguments: {error.violations[0]}"))
        except lago_dyn.ApiError as error:
            violations = error.headers.get("sl-violations")
            detail = _violations_text(violations) if violations else f"HTTP {error.status}: {error.body}"
            report.outcomes.append(Outcome(name, False, False, f"Prism rejected the request: {detail}"))
        except lago_dyn.ResponseValidationError as error:
            declared = spec.operations[name].response_for(error.response.status_code)
            schema_uri = next(iter(declared.content.values()), None) if declared else None
            report.outcomes.append(Outcome(name, True, False, f"Prism's answer broke the spec: {error.violations[0]}",
                                           error.violations, error.response.data, schema_uri))
    return report


def _violations_text(header: str) -> str:
    try:
        items = json.loads(header)
    except ValueError:
        return header[:300]
    return "; ".join(f"{'.'.join(map(str, v.get('location', [])))}: {v.get('message')}" for v in items)[:400]


if __name__ == "__main__":
    reason = prism_missing_reason()
    if reason:
        sys.exit(reason)
    path = Path(sys.argv[1])
    with prism(path) as url:
        result = run(path, url, overlays=sys.argv[2:])
    print("| spec | called | accepted | response-valid |\n| --- | ---: | ---: | ---: |")
    print(result.table())
    for failure in result.failures:
        print(f"- {failure.operation}: {failure.problem}")
