#!/usr/bin/env bash
# make n8n: install n8n 2.8.4 in .n8n/ (pinned, xlsx override), then import and publish the
# workflows of n8n/workflows/ into .n8n/home, the user folder each run of the gateway copies.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNTIME=.n8n
N8N=$RUNTIME/node_modules/.bin/n8n
die() { echo "make n8n: $*" >&2; exit 1; }

command -v node >/dev/null || die "node is not installed (n8n 2.8.4 needs Node 20 or 22)"
command -v npm >/dev/null || die "npm is not installed"
major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 20 ] || die "Node $major is too old: n8n 2.8.4 needs Node 20 or 22"

# The workflows must match their Code modules before they are imported.
.venv/bin/python scripts/build_n8n_workflows.py --check \
  || die "n8n/workflows/ is out of date: run .venv/bin/python scripts/build_n8n_workflows.py"

mkdir -p "$RUNTIME"
# n8n 2.8.4 is the newest n8n whose engines allow Node 20; its xlsx dependency is a tarball on
# cdn.sheetjs.com, replaced by the registry's 0.18.5 (docs/n8n.md "Install").
cat > "$RUNTIME/package.json.new" <<'JSON'
{
  "name": "metasim-n8n-runtime",
  "private": true,
  "dependencies": { "n8n": "2.8.4" },
  "overrides": { "xlsx": "0.18.5" }
}
JSON
if [ -x "$N8N" ] && cmp -s "$RUNTIME/package.json.new" "$RUNTIME/package.json"; then
  rm "$RUNTIME/package.json.new"
  echo "n8n $("$N8N" --version 2>/dev/null | tail -1) already installed in $RUNTIME/"
else
  mv "$RUNTIME/package.json.new" "$RUNTIME/package.json"
  echo "installing n8n 2.8.4 in $RUNTIME/ (about 5-9 min and 2.3 GB; compiles sqlite3)..."
  start=$(date +%s)
  (cd "$RUNTIME" && npm install --no-audit --no-fund --loglevel=error) \
    || die "npm install failed (see the npm output above)"
  echo "installed in $(( $(date +%s) - start )) s"
fi

# Always set the user folder, even for the CLI, or n8n writes ~/.n8n.
export N8N_USER_FOLDER=$PWD/$RUNTIME/home N8N_ENCRYPTION_KEY=metasim-n8n-local-key-0123456789
export DB_TYPE=sqlite N8N_DIAGNOSTICS_ENABLED=false N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS=true
export GENERIC_TIMEZONE=UTC N8N_LOG_LEVEL=warn
rm -rf "$RUNTIME/home"
echo "importing n8n/workflows/ ..."
"$N8N" import:workflow --separate --input=n8n/workflows/ >/dev/null 2>"$RUNTIME/import.log" \
  || { cat "$RUNTIME/import.log" >&2; die "import failed"; }
for file in n8n/workflows/*.json; do
  id=$(node -p "require('./$file').id")
  echo "publishing $(basename "$file" .json) ($id)"
  "$N8N" publish:workflow --id="$id" >/dev/null 2>>"$RUNTIME/import.log" \
    || { cat "$RUNTIME/import.log" >&2; die "publishing $file failed"; }
done
echo "n8n is ready: make acceptance TARGET=n8n (starts it with a local Redis, docs/n8n.md)"
