#!/usr/bin/env bash
# make acceptance: the T2-T14 Gherkin suite against a target (default: the bundled gateway).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
mkdir -p reports/out
if ! ls features/*.feature >/dev/null 2>&1; then
  echo "no .feature files yet: nothing to run"; exit 0
fi
# ---- coverage report (reports/) --------------------------------------------------------
# The suite runs through scripts/test_coverage.sh (the backlog's P2-04 name): same pytest
# arguments plus --metasim-report reports/out; it measures the reference gateway's code coverage,
# writes reports/out/index.html (with junit.xml, cucumber.json, allure-results/ beside it),
# prints the report's path and exits with pytest's status.
exec scripts/test_coverage.sh "$@"
# --------------------------------------------------------------------------------------------------
