#!/usr/bin/env bash
# make acceptance: the T2-T14 Gherkin suite against a target (default: the bundled gateway).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
mkdir -p reports/out
if ! ls features/*.feature >/dev/null 2>&1; then
  echo "no .feature files yet: nothing to run"; exit 0
fi
# A bare name with a target file of that name in the repository (`--target n8n`: n8n/target.toml).
args=()
while [ $# -gt 0 ]; do
  if [ "$1" = "--target" ] && [ $# -gt 1 ] && [ "${2%.toml}" = "$2" ] && [ -f "$2/target.toml" ]; then
    args+=("--target" "$2/target.toml"); shift 2
  else
    args+=("$1"); shift
  fi
done
set -- "${args[@]}"
if [ "${args[*]}" != "${args[*]#*n8n/target.toml}" ] && [ ! -x .n8n/node_modules/.bin/n8n ]; then
  echo "make acceptance TARGET=n8n: n8n is not installed: run \`make n8n\` first (docs/n8n.md)" >&2
  exit 2
fi
# ---- coverage report (reports/) --------------------------------------------------------
# The suite runs through scripts/test_coverage.sh (the backlog's P2-04 name): same pytest
# arguments plus --metasim-report reports/out; it measures the reference gateway's code coverage,
# writes reports/out/index.html (with junit.xml, cucumber.json, allure-results/ beside it),
# prints the report's path and exits with pytest's status.
exec scripts/test_coverage.sh "$@"
# --------------------------------------------------------------------------------------------------
