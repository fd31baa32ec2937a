"""Short `metasim load` run (real processes): faults and redeliveries, yet zero lost, zero doubled."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def test_short_steady_run_accounts_exactly_once(tmp_path: Path) -> None:
    out = tmp_path / "accounting.json"
    cmd = [sys.executable, "-m", "metasim.simulator.cli.main", "load", "--profile", "80 mps steady"]
    cmd += ["--duration", "8", "--rate", "40", "--redelivery", "0.2", "--statuses"]
    cmd += ["--json", str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=150)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "verdict: OK (zero lost, zero doubled)" in done.stdout
    doc = json.loads(out.read_text())
    acc, run = doc["accounting"], doc["run"]
    assert acc["ok"] is True and acc["lost"] == 0 and acc["doubled"] == 0
    # 8 s at 40 messages/s (fewer on a busy box): hundreds of messages, each accounted for
    assert acc["total"] >= 100
    assert acc["replied_once"] + acc["dead_lettered"] == acc["total"]
    assert acc["refused_calls"] > 0, "the fake Graph faults (5xx, 130429, timeouts) never fired"
    assert run["redeliveries POSTed"] > 0
    statuses = run["status webhooks back (fan-out)"]
    assert statuses["sent"] > 0 and statuses["delivered"] > 0 and statuses["read"] > 0
    assert statuses["answered 200"] == statuses["webhooks"]
    assert run["settle"] == "complete"


def test_unknown_profile_is_refused_with_the_list() -> None:
    cmd = [sys.executable, "-m", "metasim.simulator.cli.main", "load", "--profile", "90 mps"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "unknown load profile '90 mps'" in done.stderr and "80 mps steady" in done.stderr
