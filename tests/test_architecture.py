"""The layering in `.importlinter` holds, imports inside functions included: `lint-imports` passes on the
package, and fails, naming the import, as soon as a lower layer imports a higher one."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint(project: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT_IMPORTS), str(project / ".importlinter"), "--no-cache"],
                          cwd=project, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(project), "PATH": ""})


def test_the_package_keeps_its_layers():
    done = lint(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_an_upward_import_inside_a_function_breaks_the_contract(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(ROOT / "lago_dyn", project / "lago_dyn", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / ".importlinter", project / ".importlinter")
    wire = project / "lago_dyn" / "wire.py"
    wire.write_text(wire.read_text() + "\n\ndef _upward():\n    from .client import Client\n\n    return Client\n")
    done = lint(project)
    assert done.returncode != 0
    assert "lago_dyn.wire -> lago_dyn.client" in done.stdout
