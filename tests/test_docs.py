"""The documentation site builds with `mkdocs build --strict`: a broken link, or an object of the API
reference without a docstring, fails the build (and so this test)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def build(project: Path, site: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(project / "mkdocs.yml"),
                           "-d", str(site)], capture_output=True, text=True, timeout=180, cwd=project,
                          env={"NO_MKDOCS_2_WARNING": "1", "PATH": "", "HOME": str(project)})


@pytest.fixture(scope="module")
def mkdocs():
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings_handlers.python")


def test_docs_build_strictly_with_an_api_reference(mkdocs, tmp_path):
    result = build(ROOT, tmp_path / "site")
    assert result.returncode == 0, result.stderr[-3000:]
    reference = (tmp_path / "site" / "reference" / "index.html").read_text()
    for name in ("lago_dyn.Client", "OperationNotFoundError", "RequestValidationError", "LocalLago", "track"):
        assert name in reference
    assert "lago-dyn serve" in (tmp_path / "site" / "guides" / "testing" / "index.html").read_text()


def test_a_broken_link_or_an_undocumented_object_fails_the_build(mkdocs, tmp_path):
    project = tmp_path / "project"
    shutil.copytree(ROOT / "docs", project / "docs")
    shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
    (project / "docs" / "reference.md").write_text(
        "# API reference\n\nSee [the guide](guides/nowhere.md).\n\n::: lago_dyn.Client.close\n")
    result = build(project, tmp_path / "site")
    assert result.returncode == 1
    assert "guides/nowhere.md" in result.stderr
    assert "lago_dyn.Client.close has no docstring" in result.stderr


def test_every_guide_is_in_the_site_navigation_and_linked_from_the_readme():
    """A page left out of `nav` is built but hard to find (mkdocs only says so at INFO), and the README's
    Documentation list is where a reader on GitHub starts."""
    guides = sorted(str(path.relative_to(ROOT / "docs")) for path in (ROOT / "docs" / "guides").glob("*.md"))
    nav = yaml.safe_load((ROOT / "mkdocs.yml").read_text())["nav"]

    def pages(entries):
        for entry in entries:
            for value in (entry.values() if isinstance(entry, dict) else [entry]):
                yield from pages(value) if isinstance(value, list) else [value]

    readme = (ROOT / "README.md").read_text()
    assert [guide for guide in guides if guide not in set(pages(nav))] == []
    assert [guide for guide in guides if f"](docs/{guide})" not in readme] == []
