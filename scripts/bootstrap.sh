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
if command -v npm >/dev/null 2>&1; then
  for tool in tools/prism tools/pyright; do  # Prism for conformance, pyright for the typed stubs
    if [ -f "$tool/package-lock.json" ]; then
      (cd "$tool" && npm ci --silent --no-audit --no-fund)
    fi
  done
fi
.venv/bin/python -m lago_dyn demo
