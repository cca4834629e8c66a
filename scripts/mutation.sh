#!/usr/bin/env bash
# Mutation testing of the core (README "Mutation testing"); not part of the default suite.
# mutmut 3 mutates the modules named in pyproject's [tool.mutmut] only_mutate and runs each mutant against
# the tests that reach its function; scripts/mutation_table.py then prints killed/survived per module,
# with the equivalent mutants of tests/mutation/<module>.toml (each with its reason) set apart.
# Usage: bash scripts/mutation.sh [MODULE ...]   e.g. bash scripts/mutation.sh params codecs
#        MUTATION_WORKERS=1 to leave a core free (default: 2).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || bash scripts/bootstrap.sh
.venv/bin/python -m pip install --quiet 'mutmut==3.8.1'
names=()
for module in "$@"; do names+=("lago_dyn.${module}.*"); done
.venv/bin/mutmut run --max-children "${MUTATION_WORKERS:-2}" "${names[@]}" >/dev/null || true
.venv/bin/python scripts/mutation_table.py "$@"
