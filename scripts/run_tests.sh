#!/usr/bin/env bash
# make test: lint, types, then every test (unit, integration, acceptance self-tests).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
echo "== ruff"; $BIN/ruff check . && $BIN/ruff format --check .
echo "== mypy"; $BIN/mypy
echo "== pytest"; $BIN/pytest tests "$@"
