#!/usr/bin/env bash
# make test: lint, types, every test under tests/, then the T2-T14 catalogue in-process with its
# HTML report (reports/out/index.html, kept by CI as an artifact).
#
# The same checks as a serial run, overlapped: most of the suite's wall time is spent waiting on
# subprocesses (whole suites against real gateways, Locust runs, chaos kills), so `pytest tests`
# runs on pytest-xdist workers (METASIM_WORKERS, default 4; tests/conftest.py starts the slow
# tests first). The tests that assert rates and deadlines on real processes run last, one at a
# time, using about one core of two: the catalogue and mypy run beside them at the lowest CPU
# priority (nice 19), so they take only the core those tests leave idle. Each background step's
# output is printed whole when it ends; the exit status is non-zero if any step failed.
# METASIM_WORKERS=0 runs pytest serially. Arguments go to `pytest tests`.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
LOGS=$(mktemp -d "${TMPDIR:-/tmp}/metasim-test.XXXXXX")
trap 'rm -rf "$LOGS"' EXIT

started=$SECONDS
background() {  # background NAME COMMAND...: run it, its output and status kept under $LOGS
  local name=$1
  shift
  ( set +e; "$@" >"$LOGS/$name.log" 2>&1; echo $? >"$LOGS/$name.rc" ) &
}

status=0
echo "== ruff"
{ $BIN/ruff check . && $BIN/ruff format --check .; } || status=1

WORKERS=${METASIM_WORKERS:-4}
XDIST=()
if [ "$WORKERS" != "0" ]; then
  XDIST=(-n "$WORKERS" --dist loadgroup)
fi
ran=0
pytest_part() {  # pytest_part PART ARGS...: one part of `pytest tests` (tests/conftest.py)
  local part=$1 rc=0
  shift
  METASIM_TESTS_PART=$part "$@" || rc=$?
  case $rc in
    0) ran=1 ;;
    5) ;;  # this part holds none of the selected tests (e.g. -k): the other part may
    *) status=1 ;;
  esac
}

echo "== pytest tests/ (${WORKERS} xdist workers)"
pytest_part shared $BIN/pytest tests "${XDIST[@]}" "$@"

# Last, the tests that assert rates and deadlines on real processes (load, chaos, security
# probes; the list is in tests/conftest.py), one at a time. Beside them, at nice 19, the
# catalogue in-process (its reply waits end on the gateway's quiet, never on a deadline) and
# mypy: the scheduler gives the timing tests' processes the CPU whenever they want it.
background acceptance nice -n 19 env METASIM_COVERAGE=0 scripts/test_coverage.sh --target reference-inprocess -q
background mypy nice -n 19 scripts/typecheck.sh
echo "== pytest tests/ (the timing tests, one at a time; catalogue and mypy beside, niced)"
# only their files are collected (the part keeps the same items as from the whole of tests/,
# without collecting 4,000 others first); "$@" still narrows them (-k) or adds paths
mapfile -t TIMING_FILES < <($BIN/python -c 'from tests.conftest import timing_files; print(*timing_files(), sep="\n")')
pytest_part alone $BIN/pytest "${TIMING_FILES[@]}" "$@"
[ "$ran" = 1 ] || { echo "no test was selected" >&2; status=1; }

wait
for name in mypy acceptance; do
  echo "== ${name/acceptance/acceptance catalogue (in-process)}"
  cat "$LOGS/$name.log"
  [ "$(cat "$LOGS/$name.rc")" = "0" ] || { echo "$name failed" >&2; status=1; }
done

echo "make test: $((SECONDS - started)) s"
exit "$status"
