import logging
from pathlib import Path

import pytest

import lago_dyn
from lago_dyn.testing import LocalLago

SPECS = Path(__file__).resolve().parent.parent.parent / "shared" / "specs"
API_KEY = "sk_test_do_not_leak_51f0c"


def shared_spec(version: str) -> Path:
    path = SPECS / f"lago-{version}.yaml"
    if not path.is_file():
        pytest.skip(f"../shared/specs/lago-{version}.yaml is not beside the project (clone it with ../shared)")
    return path


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    """Each test gets its own spec cache, so no test depends on what another one cached."""
    monkeypatch.setenv("LAGO_DYN_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture(scope="session")
def default_spec():
    return lago_dyn.load_spec(cache_dir=False)


@pytest.fixture(scope="session")
def spec_1_51():
    """lago-1.51.0.yaml parsed once for the whole session (0.4 s a parse)."""
    return lago_dyn.load_spec(shared_spec("1.51.0"), cache_dir=False)


@pytest.fixture(scope="session")
def oas32_spec():
    """tests/oas32/openapi.yaml (OpenAPI 3.2: streams, QUERY, querystring, nested tags, $self), parsed once."""
    return lago_dyn.load_spec(Path(__file__).resolve().parent / "oas32" / "openapi.yaml", cache_dir=False)


@pytest.fixture
def lago(default_spec):
    with LocalLago(default_spec) as server:
        yield server


@pytest.fixture
def client(lago, default_spec):
    with lago_dyn.Client(default_spec, base_url=lago.base_url, api_key=API_KEY, retry=lago_dyn.RetryPolicy(retries=0)) as c:
        yield c


@pytest.fixture
def log_records(caplog):
    caplog.set_level(logging.DEBUG, logger="lago_dyn")
    return caplog


def pytest_terminal_summary(terminalreporter):
    """The conformance tables (tests/conformance), when that suite ran."""
    import sys

    harness = sys.modules.get("harness")
    sections = [
        ("conformance against Prism", ("spec", "called", "accepted", "response-valid"), "TABLES"),
        ("conformance against Prism: public specs", ("spec", "called", "accepted"), "PUBLIC_TABLES"),
    ]
    for title, columns, attribute in sections:
        rows = getattr(harness, attribute, None)
        if rows:
            terminalreporter.section(title)
            terminalreporter.write_line("| " + " | ".join(columns) + " |")
            terminalreporter.write_line("| --- |" + " ---: |" * (len(columns) - 1))
            for line in rows:
                terminalreporter.write_line(line)
