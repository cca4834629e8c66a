"""A fixed sample of the APIs.guru corpus over the wire (issue 22): each document served by Stoplight Prism
(mock mode, requests validated), up to 10 of its operations called through lago_dyn with arguments made
from the document, Prism's answers checked by strict response validation. Every call must be accepted with
a valid answer, or fail exactly as corpus_prism_defects.yaml lists it (Prism's defect, the document's, or a
lago_dyn bug left for another change); a listed failure that no longer happens fails too. The sample and
its rule: corpus_prism.py. Marked `corpus`, like tests/test_corpus.py."""

import json

import pytest

import lago_dyn

from corpus_prism import (CALLS, DOCUMENTS, MAX_BYTES, Round, call_sample, corpus_script, explaining, failed,
                          listed_defects, operations_of, sample, summary)
from harness import CORPUS_TABLE, NO_ANSWER, independently_invalid, prism_missing_reason

#: Choosing the sample and calling it takes 5-15 s (one Prism process for all documents), more on a
#: loaded machine: the module's fixture counts against its first test.
pytestmark = [pytest.mark.corpus, pytest.mark.timeout(300)]

BY = ("prism", "document", "lago_dyn")


@pytest.fixture(scope="module")
def folder():
    reason = prism_missing_reason()
    if reason:
        pytest.skip(reason)
    corpus = corpus_script()
    try:
        return corpus.api_folder()
    except corpus.SpecUnavailable as unavailable:
        pytest.skip(f"the corpus cannot be fetched: {unavailable}")


@pytest.fixture(scope="module")
def documents(folder):
    return sample(folder)


@pytest.fixture(scope="module")
def called(folder, documents) -> Round:
    result = call_sample(folder, documents)
    CORPUS_TABLE.extend(f"| {what} | {calls} |" for what, calls in summary(result, listed_defects()))
    CORPUS_TABLE.append(f"| time | {result.seconds:.1f} s, {result.prism_processes} Prism process(es) |")
    return result


def test_the_sample_follows_its_rule_and_is_the_same_every_run(folder, documents):
    assert len(documents) == DOCUMENTS
    assert all((folder / path).stat().st_size <= MAX_BYTES and spec.operations for path, spec in documents.items())
    assert list(sample(folder)) == list(documents)
    paths = corpus_script().all_documents(folder)
    assert sorted(documents, key=paths.index) == list(documents)  # spread in the directory's order


def test_prism_serves_every_document_of_the_sample_and_each_is_called(called, documents):
    assert called.refused == {}
    assert {path: [o.operation for o in report.outcomes] for path, report in called.reports.items()} \
        == {path: operations_of(spec) for path, spec in documents.items()}
    assert all(len(operations_of(spec)) == min(CALLS, len(spec.operations)) for spec in documents.values())


def test_every_call_is_accepted_with_a_valid_answer_or_fails_as_listed(called, documents):
    defects = listed_defects()
    unlisted = [f"{path} {outcome.operation}: {outcome.problem}" for path, outcome in called.outcomes
                if failed(outcome) and explaining(defects, path, outcome) is None]
    failures = {(path, outcome.operation): outcome for path, outcome in called.outcomes if failed(outcome)}
    stale = [f"{path} {name} ({defect.name})" for defect in defects for path, names in defect.calls.items()
             for name in names if (path, name) not in failures or not defect.explains(path, failures[path, name])]
    assert not unlisted and not stale, "\n".join(
        unlisted + ([f"listed failures that no longer happen: {stale}"] if stale else []))
    for (path, name), outcome in failures.items():
        if explaining(defects, path, outcome).jsonschema_agrees:
            assert independently_invalid(documents[path], outcome.schema_uri, outcome.body), \
                f"{path} {name}: only lago_dyn refuses Prism's answer"


def test_every_listed_class_says_whose_fault_and_why():
    defects = listed_defects()
    assert all(defect.by in BY and defect.reason.strip() and defect.calls for defect in defects)
    assert len({defect.name for defect in defects}) == len(defects)


#: Two operations; Prism's process dies on any request to the first (a pipeDelimited object parameter:
#: prism_defects.yaml), sorted before the second.
CRASHING = {
    "openapi": "3.0.3", "info": {"title": "crashing", "version": "1"},
    "paths": {
        "/colors": {"get": {"operationId": "a_colors", "parameters": [
            {"name": "color", "in": "query", "style": "pipeDelimited", "explode": False,
             "schema": {"type": "object", "properties": {"R": {"type": "integer"}}}}],
            "responses": {"204": {"description": "ok"}}}},
        "/ping": {"get": {"operationId": "b_ping", "responses": {"204": {"description": "ok"}}}},
    },
}


def test_a_call_that_ends_prism_is_recorded_and_a_new_prism_serves_the_calls_left(tmp_path):
    reason = prism_missing_reason()
    if reason:
        pytest.skip(reason)
    (tmp_path / "crashing.json").write_text(json.dumps(CRASHING))
    (tmp_path / "calm.json").write_text(json.dumps({**CRASHING, "paths": {"/ping": CRASHING["paths"]["/ping"]}}))
    documents = {name: lago_dyn.load_spec(tmp_path / name, cache_dir=False) for name in ("crashing.json", "calm.json")}
    result = call_sample(tmp_path, documents)
    outcomes = {(path, outcome.operation): (outcome.accepted, outcome.problem) for path, outcome in result.outcomes}
    assert outcomes == {("crashing.json", "a_colors"): (False, NO_ANSWER), ("crashing.json", "b_ping"): (True, ""),
                        ("calm.json", "b_ping"): (True, "")}
    assert result.prism_processes == 2
