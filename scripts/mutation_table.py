"""The mutation table: per core module, mutants made, killed, equivalent (with the reason, from
tests/mutation/<module>.toml) and survived, from the results mutmut left in mutants/.

    .venv/bin/python scripts/mutation_table.py [MODULE ...]   # after scripts/mutation.py

A mutant listed as equivalent that was killed, or that no longer exists, is reported as stale: the list
must describe the code as it is."""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: mutmut's exit codes for a mutant (mutmut/stats.py): a test failed, or the run timed out.
KILLED = {1, 3, 36, -24, 24, 152, 255, 37}
SURVIVED = {0}
NO_TESTS = {5, 33}


def equivalents() -> dict[str, str]:
    """Mutant name -> why it is equivalent, from one file per module (tests/mutation/params.toml, ...)."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "tests" / "mutation").glob("*.toml")):
        found.update((name, entry["why"]) for name, entry in tomllib.loads(path.read_text()).items())
    return found


def results(source: str) -> dict[str, int | None]:
    """mutmut's exit code per mutant of one source file (lago_dyn/params.py), as it left them in mutants/."""
    meta = ROOT / "mutants" / f"{source}.meta"
    if not meta.is_file():
        return {}
    return json.loads(meta.read_text())["exit_code_by_key"]


def main(argv: list[str]) -> int:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    sources = {Path(path).stem: path for path in config["only_mutate"]}
    modules = argv or list(sources)
    equivalent = equivalents()
    print("| module | mutants | checked | killed | equivalent | survived | killed of non-equivalent |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    survivors, stale = [], []
    for module in modules:
        codes = results(sources[module])
        killed = sum(code in KILLED for code in codes.values())
        same = [name for name, code in codes.items() if name in equivalent and code in SURVIVED]
        stale += [name for name, code in codes.items() if name in equivalent and code not in SURVIVED]
        # A mutant no test reaches (mutmut: "no tests") survives as surely as one the tests miss.
        lived = [name for name, code in codes.items() if code in SURVIVED | NO_TESTS and name not in equivalent]
        checked = sum(code is not None for code in codes.values())
        survivors += lived
        judged = killed + len(lived)
        rate = f"{100 * killed / judged:.0f}%" if judged else "-"
        print(f"| {sources[module].removeprefix('lago_dyn/')} | {len(codes)} | {checked} | {killed} | {len(same)} "
              f"| {len(lived)} | {rate} |")
    known = {name for module in modules for name in results(sources[module])}
    stale += [name for name in equivalent if name.split(".")[-2] in modules and name not in known]
    if survivors:
        print("\nsurvived (see one with: .venv/bin/mutmut show NAME):")
        print("\n".join(f"  {name}" for name in sorted(survivors)))
    if stale:
        print("\nstale entries in tests/mutation/*.toml (killed, or no such mutant):")
        print("\n".join(f"  {name}" for name in sorted(set(stale))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
