"""The n8n gateway's preflight (scripts/n8n_gateway.py): every production problem, by name."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "n8n_gateway.py"
GOOD = {
    "GATEWAY_ENV": "prod",
    "META_APP_SECRET": "s3cret",
    "META_SIGNATURE_REQUIRED": "enforce",
    "WA_SEND_URL": "https://graph.facebook.com/v25.0",
    "IG_SEND_URL": "https://graph.facebook.com/v25.0",
    "MSG_SEND_URL": "https://graph.facebook.com/v25.0",
}


def preflight(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "preflight"],
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_complete_production_config_passes() -> None:
    done = preflight(GOOD)
    assert done.returncode == 0, done.stderr
    assert "OK" in done.stdout


def test_each_problem_is_named_and_exits_1() -> None:
    env = {**GOOD, "META_SIGNATURE_REQUIRED": "off", "WA_SEND_URL": "http://mock-api:8080/send/wa"}
    del env["META_APP_SECRET"], env["MSG_SEND_URL"]
    done = preflight(env)
    assert done.returncode == 1
    for name in ("META_APP_SECRET", "WA_SEND_URL", "MSG_SEND_URL", "META_SIGNATURE_REQUIRED"):
        assert name in done.stderr, f"{name} not named: {done.stderr}"
    assert "IG_SEND_URL" not in done.stderr
    assert "Traceback" not in done.stderr


def test_serve_without_n8n_installed_says_what_to_run(tmp_path: Path) -> None:
    """No traceback: the message names the make target (checked only when .n8n/ is absent)."""
    if (ROOT / ".n8n" / "node_modules" / ".bin" / "n8n").exists():
        pytest.skip("n8n is installed here: serving would start it, not a unit test's job")
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "serve", "--tmp", str(tmp_path), "--port", "1"],
        env={"PATH": "/usr/bin:/bin", "GATEWAY_ENV": "test"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "make n8n" in done.stderr and "Traceback" not in done.stderr
