#!/usr/bin/env bash
# Installs Debian's chromium for the report's browser test; does nothing when it is already there.
# We drive the distribution's chromium rather than `playwright install`: that one downloads a
# browser build from a CDN at test time, which a locked-down CI runner cannot reach.
set -euo pipefail

BROWSER=${METASIM_CHROMIUM:-/usr/bin/chromium}
if [ -x "$BROWSER" ]; then
  echo "chromium present: $BROWSER"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: $BROWSER is missing and apt-get is not available on this machine." >&2
  echo "Install Chromium with your package manager, then set METASIM_CHROMIUM=/path/to/chromium." >&2
  exit 2
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo -n"
  else
    echo "error: installing chromium needs root (apt-get) and sudo is not available." >&2
    echo "Run as root: apt-get update && apt-get install -y chromium" >&2
    exit 2
  fi
fi

# Two test workers may both find chromium missing: one installs while the other waits on this
# lock, then finds it present. apt itself waits for a dpkg lock another apt-get holds.
exec 9>"${TMPDIR:-/tmp}/metasim-install-browser.lock"
flock 9
if [ -x "$BROWSER" ]; then
  echo "chromium present: $BROWSER (installed meanwhile)"
  exit 0
fi
echo "installing chromium with apt-get (apt-get update first)..."
export DEBIAN_FRONTEND=noninteractive
WAIT=(-o DPkg::Lock::Timeout=600)
$SUDO apt-get "${WAIT[@]}" update -qq
$SUDO apt-get "${WAIT[@]}" install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
if [ ! -x "$BROWSER" ]; then
  echo "error: apt-get finished but $BROWSER is still missing (package name differs on this distribution?)" >&2
  exit 2
fi
echo "chromium installed: $BROWSER ($("$BROWSER" --version 2>/dev/null || echo 'version unknown'))"
