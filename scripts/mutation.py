"""Mutation testing of the core (README "Mutation testing"); not part of the default suite.

    .venv/bin/python scripts/mutation.py [--sample N] [--workers W] [MODULE ...]

mutmut 3 mutates the modules named in pyproject's [tool.mutmut] only_mutate (or the MODULEs given:
params, media, auth, validation, pipeline, wire) and runs each mutant against the tests that reach its
function. `--sample N` runs every Nth mutant of each module (sorted by name, so the same ones each time):
a full run is about 4,000 mutants, an hour on two quiet cores. Then scripts/mutation_table.py prints
killed/survived per module, the equivalent mutants of tests/mutation/<module>.toml set apart."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTMUT = ROOT / ".venv" / "bin" / "mutmut"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*")
    parser.add_argument("--sample", type=int, default=1, help="run every Nth mutant (default: all)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "mutmut==3.8.1"], check=True)
    sources = {Path(path).stem: path for path in
               tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]["only_mutate"]}
    modules = args.modules or list(sources)
    unknown = sorted(set(modules) - set(sources))
    if unknown:
        parser.error(f"not a mutated module: {', '.join(unknown)} (choose from {', '.join(sources)})")
    # A run that matches no mutant makes the mutants and collects which tests reach what, then stops.
    made = subprocess.run([str(MUTMUT), "run", "lago_dyn.no-such-module.*"], cwd=ROOT, capture_output=True, text=True)
    if not (ROOT / "mutants" / "mutmut-stats.json").is_file():  # the suite failed under mutmut: say so
        print(made.stdout.replace("\r", "\n")[-3000:], file=sys.stderr)
        print("mutmut could not run the tests (above); nothing was measured", file=sys.stderr)
        return 1
    names: list[str] = []
    for module in modules:
        meta = ROOT / "mutants" / f"{sources[module]}.meta"
        if not meta.is_file():
            print(f"mutmut made no mutants for {module}: run `{MUTMUT} run` to see why", file=sys.stderr)
            return 1
        names += sorted(json.loads(meta.read_text())["exit_code_by_key"])[::args.sample]
    subprocess.run([str(MUTMUT), "run", "--max-children", str(args.workers), *names], cwd=ROOT,
                   stdout=subprocess.DEVNULL)
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "mutation_table.py"), *modules], cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main())
