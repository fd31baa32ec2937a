#!/usr/bin/env bash
# make allure-report: a single-file Allure 3 report (npm `allure`, config allurerc.json) from the
# Allure results of the last acceptance run; installs the npm package into .venv/node when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
ALLURE_VERSION=${ALLURE_VERSION:-3.18.0}
PREFIX=.venv/node
RESULTS=${1:-reports/out/allure-results}
OUTPUT=reports/out/allure-report

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "error: the Allure 3 report needs Node.js and npm, which are not installed." >&2
  echo "Install Node.js 18+ (Debian: apt-get install nodejs npm), then run make allure-report again." >&2
  echo "The HTML coverage report (reports/out/index.html) does not need them." >&2
  exit 2
fi
if [ ! -d "$RESULTS" ] || [ -z "$(ls -A "$RESULTS" 2>/dev/null)" ]; then
  echo "error: no Allure results in $RESULTS; run make acceptance first." >&2
  exit 2
fi
BIN=$PREFIX/node_modules/.bin/allure
if [ ! -x "$BIN" ] || ! "$BIN" --version 2>/dev/null | grep -q "$ALLURE_VERSION"; then
  echo "installing allure@$ALLURE_VERSION (npm) into $PREFIX ..."
  mkdir -p "$PREFIX"
  npm install --prefix "$PREFIX" --no-audit --no-fund --silent "allure@$ALLURE_VERSION"
fi
rm -rf "$OUTPUT"
"$BIN" generate "$RESULTS" --config allurerc.json --output "$OUTPUT" >/dev/null
# Allure 3 always embeds a Google Analytics tag; the report must open offline and stay private.
.venv/bin/python -m metasim.reports.allure_offline "$OUTPUT/index.html" >/dev/null
echo "Allure report: $(pwd)/$OUTPUT/index.html"
