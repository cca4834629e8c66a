"""Real API descriptions over the wire: a fixed sample of the APIs.guru corpus (tests/test_corpus.py reads
every document of its own sample without calling), each served by Stoplight Prism and called through
lago_dyn (issue 22).

The sample (`sample()`): from each of `DOCUMENTS` evenly spaced points of the directory's sorted paths,
the first document at or after it that is at most `MAX_BYTES` long (Prism takes seconds to read a large
one) and that lago_dyn loads with at least one operation. Per document, up to `CALLS` operations spread
evenly over their sorted names, each called once with arguments made from the document (harness.py's
`arguments_for`, as for the Lago specs: its examples where valid, else the example generator) against a
Prism that validates the request (mock mode, static answers), with strict response validation.

Every failure must be listed in corpus_prism_defects.yaml, by class: Prism's, the document's, or a
lago_dyn bug left for another change. Kept apart from the test so that it can print its table alone:
    .venv/bin/python tests/conformance/corpus_prism.py
"""

from __future__ import annotations

import importlib.util
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

import lago_dyn
from harness import NO_ANSWER, Outcome, PrismServers, Report, run

ROOT = Path(__file__).resolve().parents[2]
#: 45 documents make about 330 calls: most descriptions have fewer than CALLS operations.
DOCUMENTS = 45
CALLS = 10
MAX_BYTES = 1024 * 1024
DEFECTS_FILE = Path(__file__).with_name("corpus_prism_defects.yaml")


def corpus_script() -> Any:
    """scripts/corpus.py (the directory's pin, its fetch and its sorted paths), loaded once per process
    under the name tests/test_corpus.py uses."""
    if "corpus_run" not in sys.modules:
        spec = importlib.util.spec_from_file_location("corpus_run", ROOT / "scripts" / "corpus.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["corpus_run"] = module
        spec.loader.exec_module(module)
    return sys.modules["corpus_run"]


def _loaded(file: Path) -> lago_dyn.Spec | None:
    """The document as lago_dyn reads it, if it is small enough and has an operation to call."""
    if file.stat().st_size > MAX_BYTES:
        return None
    try:
        spec = lago_dyn.load_spec(file, cache_dir=False)
    except lago_dyn.SpecError:
        return None
    return spec if spec.operations else None


def sample(folder: Path, count: int = DOCUMENTS) -> dict[str, lago_dyn.Spec]:
    """The documents called, by the rule in this module's docstring: the same ones every run."""
    corpus = corpus_script()
    paths = corpus.all_documents(folder)
    chosen: dict[str, lago_dyn.Spec] = {}
    for start in corpus.every_nth(list(range(len(paths))), count):
        for path in paths[start:]:
            spec = None if path in chosen else _loaded(folder / path)
            if spec is not None:
                chosen[path] = spec
                break
    return chosen


def operations_of(spec: lago_dyn.Spec, count: int = CALLS) -> list[str]:
    """The operations called: up to `count`, spread evenly over the sorted names."""
    return corpus_script().every_nth(sorted(spec.operations), count)


# -- calling -----------------------------------------------------------------------------------------------


@dataclass
class Round:
    """The sample's calls: each document's outcomes, what Prism said of a document it would not serve,
    how long it all took and how many Prism processes it needed (one, plus one after each crash)."""

    reports: dict[str, Report] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    prism_processes: int = 0

    @property
    def outcomes(self) -> list[tuple[str, Outcome]]:
        return [(path, outcome) for path, report in self.reports.items() for outcome in report.outcomes]


def call_sample(folder: Path, documents: dict[str, lago_dyn.Spec]) -> Round:
    """Each document's operations in turn, against one Prism process serving every document. A call that
    ends the process is recorded (NO_ANSWER) and a new process serves the calls left."""
    started = time.perf_counter()
    result = Round()
    pending = {path: operations_of(spec) for path, spec in documents.items()}
    while pending:
        with PrismServers(folder / path for path in pending) as servers:
            result.prism_processes += 1
            for file, reason in servers.refused.items():
                path = file.relative_to(folder).as_posix()
                result.refused[path] = reason
                del pending[path]
            for path in list(pending):
                file = folder / path
                report = result.reports.setdefault(path, Report(path))
                for index, name in enumerate(pending[path]):
                    report.outcomes.extend(run(file, servers.urls[file], spec=documents[path], operations=[name],
                                               profile=lago_dyn.GENERIC).outcomes)
                    if report.outcomes[-1].problem == NO_ANSWER and servers.ended():
                        pending[path] = pending[path][index + 1:]
                        if not pending[path]:
                            del pending[path]
                        break
                else:
                    del pending[path]
                if servers.process.poll() is not None:  # ended by the call above
                    break
    result.seconds = time.perf_counter() - started
    return result


def failed(outcome: Outcome) -> bool:
    return not (outcome.accepted and outcome.response_valid)


# -- the listed failures ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Defect:
    """A class of listed failures (corpus_prism_defects.yaml): whose fault (`prism`, `document`, or
    `lago_dyn` for a bug left for another change), the failure's text as a regular expression, whether
    plain jsonschema must reject Prism's answer too, why, and the calls it explains (document -> names)."""

    name: str
    by: str
    problem: str
    reason: str
    calls: dict[str, tuple[str, ...]]
    jsonschema_agrees: bool = False

    def explains(self, path: str, outcome: Outcome) -> bool:
        return outcome.operation in self.calls.get(path, ()) and re.search(self.problem, outcome.problem) is not None


def listed_defects() -> list[Defect]:
    entries = yaml.safe_load(DEFECTS_FILE.read_text()) or []
    return [Defect(entry["class"], entry["by"], entry["problem"], entry["reason"],
                   {path: tuple(names) for path, names in entry["calls"].items()},
                   bool(entry.get("jsonschema_agrees"))) for entry in entries]


def explaining(defects: list[Defect], path: str, outcome: Outcome) -> Defect | None:
    return next((defect for defect in defects if defect.explains(path, outcome)), None)


def summary(result: Round, defects: list[Defect]) -> list[tuple[str, int]]:
    """(what, calls) rows: the totals, then the failures by listed class (or unlisted)."""
    outcomes = result.outcomes
    classes = Counter()
    for path, outcome in outcomes:
        if failed(outcome):
            defect = explaining(defects, path, outcome)
            classes[f"{defect.by}: {defect.name}" if defect else "NOT LISTED"] += 1
    rows = [("documents", len(result.reports)), ("calls", len(outcomes)),
            ("accepted by Prism", sum(o.accepted for _, o in outcomes)),
            ("accepted, answer valid (strict)", sum(not failed(o) for _, o in outcomes))]
    return rows + sorted(classes.items(), key=lambda row: (row[0].split(":")[0], -row[1], row[0]))


def main() -> int:
    folder = corpus_script().api_folder()
    started = time.perf_counter()
    documents = sample(folder)
    chosen = time.perf_counter() - started
    result = call_sample(folder, documents)
    defects = listed_defects()
    for path, outcome in result.outcomes:
        if failed(outcome) and not explaining(defects, path, outcome):
            print(f"{path}\t{outcome.operation}\t{outcome.problem[:600]}")
    for path, reason in result.refused.items():
        print(f"{path}\tPrism does not serve it\t{reason[:300]}")
    for what, calls in summary(result, defects):
        print(f"| {what} | {calls} |")
    print(f"sample chosen in {chosen:.1f} s, called in {result.seconds:.1f} s with "
          f"{result.prism_processes} Prism process(es)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
