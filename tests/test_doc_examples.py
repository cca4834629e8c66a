"""Every Python block of the README and the docs site runs, in order, one namespace per page, with Sybil:
an example that drifts from the behaviour fails the suite. Blocks that need what a test cannot have (your
own files, a placeholder `...`) say so with `<!-- skip: next -->`; setup the reader does not need to see
sits in `invisible-code-block`s (a LocalLago to talk to)."""

from pathlib import Path

import pytest

from conftest import shared_spec
from lago_dyn.lago_api import configuration as lago_api_configuration
from lago_dyn.testing import LocalLago

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["README.md", *sorted(str(path.relative_to(ROOT)) for path in (ROOT / "docs").rglob("*.md"))]


@pytest.fixture(scope="module")
def sybil():
    sybil = pytest.importorskip("sybil")
    from sybil.parsers.markdown import PythonCodeBlockParser, SkipParser

    return sybil.Sybil(parsers=[PythonCodeBlockParser(), SkipParser()], path=str(ROOT))


@pytest.mark.parametrize("page", PAGES)
def test_the_python_blocks_of_the_page_run(page, sybil, monkeypatch, capsys):
    shared_spec("1.51.0")  # the pages talk to LocalLago with the full spec, read from ../shared
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("LAGO_API_KEY", "test")
    # lago_api's spec is chosen once per process; each page starts as a fresh process would, choice open.
    monkeypatch.setattr(lago_api_configuration, "_in_use", None)
    monkeypatch.setattr(lago_api_configuration, "_fixed", False)
    monkeypatch.delenv("LAGO_DYN_SPEC", raising=False)
    document = sybil.parse(ROOT / page)
    examples = list(document)
    try:
        for example in examples:
            try:
                example.evaluate()
            except Exception as error:  # noqa: BLE001 - the page and line are what a reader needs
                pytest.fail(f"{page}, line {example.line}: {type(error).__name__}: {error}")
    finally:
        for value in document.namespace.values():
            if isinstance(value, LocalLago):
                value.stop()
    ran = set(RAN.get(page, ())) - set(document.namespace)
    assert not ran, f"{page}: the blocks that define {sorted(ran)} did not run"


#: Names some blocks define: proof that they ran, and were not skipped by mistake.
RAN = {"README.md": ("resp", "transport", "lago"), "docs/guides/lago.md": ("info",),
       "docs/guides/testing.md": ("lago",), "docs/guides/async.md": ("every", "report"),
       "docs/guides/bulk-events.md": ("failure", "calls"), "docs/guides/lago-api.md": ("customer", "reason"),
       "docs/guides/webhooks.md": ("payload", "typo"), "docs/guides/openapi-3-2.md": ("ticks", "refused"),
       "docs/guides/any-spec.md": ("named", "wrong_id"), "docs/guides/local-lago.md": ("run", "first")}
