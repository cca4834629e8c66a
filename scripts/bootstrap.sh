#!/usr/bin/env bash
# Sets up a fresh machine: a virtualenv in .venv with lago_dyn and its test tools, then runs the demo.
# Usage: bash scripts/bootstrap.sh   (idempotent; safe to run again)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'
if [ -f tools/prism/package-lock.json ] && command -v npm >/dev/null 2>&1; then
  (cd tools/prism && npm ci --silent --no-audit --no-fund)
fi
.venv/bin/python -m lago_dyn demo
