#!/usr/bin/env bash
# mypy on simulator/ and gateway/ under their import names (metasim.simulator, metasim.gateway).
# mypy cannot follow metasim/__init__.py's search-path extension, so it reads the code through a
# throwaway tree of links shaped like the installed package; paths in its messages are mapped
# back to the repository's.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
mkdir "$tree/metasim"
ln -s "$PWD/metasim/__init__.py" "$tree/metasim/__init__.py"
for part in simulator gateway steps reports payloads; do
  ln -s "$PWD/$part" "$tree/metasim/$part"
done
set +e
MYPYPATH="$tree" "$BIN/mypy" --cache-dir .mypy_cache -p metasim.simulator -p metasim.gateway "$@" \
  | sed "s|$tree/metasim/||g"
status=${PIPESTATUS[0]}
exit "$status"
