#!/usr/bin/env bash
# make test: lint, types, every test under tests/, then the T2-T14 catalogue in-process with its
# HTML report (reports/out/index.html, kept by CI as an artifact).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
echo "== ruff"; $BIN/ruff check . && $BIN/ruff format --check .
echo "== mypy"; $BIN/mypy
echo "== pytest tests/"; $BIN/pytest tests "$@"
echo "== acceptance catalogue (in-process)"
METASIM_COVERAGE=0 scripts/test_coverage.sh --target reference-inprocess -q
