"""Debian's chromium for Playwright (report test, benchmark): installed by scripts/install_browser.sh."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path(os.environ.get("METASIM_CHROMIUM", "/usr/bin/chromium"))
# No sandbox (containers run as root), and nothing that phones home: the report must open with
# no network at all, and a browser fetching updates would blur the time-to-open figure.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]


def ensure_chromium() -> Path:
    """The chromium binary, installed with apt-get by the project's script when absent."""
    if not CHROMIUM.exists():
        done = subprocess.run(
            [str(ROOT / "scripts" / "install_browser.sh")],
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        if done.returncode != 0 or not CHROMIUM.exists():
            raise RuntimeError(
                f"scripts/install_browser.sh could not install {CHROMIUM} "
                f"(exit {done.returncode}):\n{done.stdout}\n{done.stderr}"
            )
    return CHROMIUM
