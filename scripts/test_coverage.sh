#!/usr/bin/env bash
# P2-04 "Test Coverage Report": runs the acceptance suite, measures the reference gateway's code
# coverage, writes the single-file HTML report (reports/out/index.html) and prints its path.
# Arguments go to pytest (e.g. --target path/to/target.toml, -k T2). Exit status: pytest's.
# METASIM_REPORT_DIR picks another folder; METASIM_COVERAGE=0 skips the coverage measurement.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
OUT=${METASIM_REPORT_DIR:-reports/out}
mkdir -p "$OUT"
export METASIM_REPORT_DIR
METASIM_REPORT_DIR=$(cd "$OUT" && pwd)   # absolute: the gateway subprocess runs elsewhere
OUT=$METASIM_REPORT_DIR
RC=reports/coveragerc

if ! ls features/*.feature >/dev/null 2>&1; then
  echo "no .feature files under features/: nothing to run" >&2
  exit 0
fi

# This run's files only: a stale coverage.json or Allure report would be linked beside fresh
# results (make allure-report writes the Allure one again from this run's allure-results/).
rm -rf "$OUT"/.coverage "$OUT"/.coverage.* "$OUT"/coverage "$OUT"/coverage.json "$OUT"/allure-report

status=0
if [ "${METASIM_COVERAGE:-1}" = "0" ]; then
  "$BIN"/pytest features --metasim-report "$OUT" "$@" || status=$?
else
  "$BIN"/coverage run --rcfile="$RC" -m pytest features --metasim-report "$OUT" "$@" || status=$?
  if ls "$OUT"/.coverage.* >/dev/null 2>&1; then
    "$BIN"/coverage combine --rcfile="$RC" -q
    # exit 0 even when nothing of gateway/ ran (an external target): the report says so
    "$BIN"/coverage html --rcfile="$RC" -q || true
    "$BIN"/coverage json --rcfile="$RC" -q || true
  fi
fi

# The step catalogue page the report links to (the acceptance suite's generator).
if [ -f scripts/gen_step_catalogue.py ]; then
  "$BIN"/python scripts/gen_step_catalogue.py --md "$OUT/step-catalogue.md" --html "$OUT/steps.html" \
    >/dev/null || echo "warning: the step catalogue could not be generated" >&2
fi

# Render again now that coverage.json exists (the plugin rendered once at the end of pytest).
if [ -f "$OUT/results.json" ]; then
  "$BIN"/python -m reports render "$OUT" >/dev/null
  echo "HTML report: $OUT/index.html"
else
  echo "no results were recorded (pytest exit status $status): no report written" >&2
fi
exit "$status"
