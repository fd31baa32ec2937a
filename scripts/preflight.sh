#!/usr/bin/env bash
# Production preflight (P1-05): lists every configuration problem and exits 1 if there is any.
# Reads the same env vars as the gateway; source your .env first, e.g.
#   set -a; . ./.env; set +a; scripts/preflight.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-}"
if [[ -z "$python" ]]; then
  if [[ -x "$root/.venv/bin/python" ]]; then python="$root/.venv/bin/python"; else python="python3"; fi
fi
cd "$root"
exec "$python" -m metasim.gateway.preflight "$@"
