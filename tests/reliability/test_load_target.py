"""`metasim load --target`: any gateway a target file describes, Meta's side of its answers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from metasim.simulator.load import meta_side as meta

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
ZOO = ROOT / "examples" / "zoo" / "node-correct" / "target.toml"
MISBEHAVING = Path(__file__).with_name("load_gateway") / "target.toml"


def load(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, Any]:
    out = tmp_path / "load.json"
    cmd = [sys.executable, "-m", "metasim.simulator.cli.main", "load", *args, "--json", str(out)]
    done = subprocess.run(
        cmd, capture_output=True, text=True, timeout=180, env={**os.environ, **(env or {})}
    )
    text = done.stdout + done.stderr
    assert out.exists(), text[-3000:]
    return done.returncode, text, json.loads(out.read_text())


def test_a_zoo_gateway_loaded_by_two_workers_accounts_every_message_once(tmp_path: Path) -> None:
    # the Node.js zoo gateway, two Locust workers under one master: both workers' sends count
    code, text, doc = load(
        tmp_path, "--target", str(ZOO), "--workers", "2", "--duration", "3", "--rate", "30"
    )
    assert code == 0, text[-3000:]
    acc, run = doc["accounting"], doc["run"]
    assert acc["ok"] and acc["lost"] == 0 and acc["doubled"] == 0
    # 3 s at 30 messages/s: ~90 messages, each matched to its one reply. Beside other test
    # workers on 2 cores the generator falls short of its rate (55 seen): the count only shows
    # that traffic flowed, the accounting closing is the check
    assert acc["total"] >= 30 and acc["replied_once"] == acc["total"]
    assert acc["unacked_replies"] == 0, "a worker's ACKs never reached the master"
    assert "only 0 of 2 workers reported" not in text
    assert run["webhook outcomes"][meta.IN_TIME] == run["webhooks POSTed (first delivery)"]
    # the report files: JSON with the per-second timeline, self-contained HTML with plots
    assert len(doc["timeline"]["t"]) >= 3 and max(doc["timeline"]["sent"]) > 0
    page = (tmp_path / "load.html").read_text()
    assert page.count("<svg") == 3 and "<polyline" in page
    assert "<script src" not in page and "<link" not in page  # nothing fetched


def test_a_gateway_answering_after_metas_timeout_is_late_and_redelivered(
    tmp_path: Path,
) -> None:
    # every 200 comes 0.5 s after the POST; Meta's timeout made 0.2 s: each is a failure, Meta
    # delivers again on its back-off, and the gateway (deduping) still replies once per message
    code, text, doc = load(
        tmp_path,
        "--target", str(MISBEHAVING), "--duration", "2", "--rate", "6", "--redelivery", "0",
        "--meta-timeout", "0.2",
        env={"SLEEP": "0.5"},
    )  # fmt: skip
    assert code == 1, "late ACKs must fail the run"
    run, acc = doc["run"], doc["accounting"]
    outcomes, posts = run["webhook outcomes"], run["POSTs"]
    assert outcomes[meta.LATE] == run["webhooks POSTed (first delivery)"] > 0, text[-3000:]
    assert outcomes[meta.IN_TIME] == 0 and outcomes[meta.NEVER] == 0
    # the first POST and each of Meta's retries answered late
    assert posts[meta.RETRIES] == 3 * outcomes[meta.LATE]
    assert posts[meta.ANSWERED_LATE] == 4 * outcomes[meta.LATE]
    assert acc["ok"] and acc["replied_once"] == acc["total"] > 0
    assert "never ACKed within Meta's timeout" in text


def test_a_gateway_replying_twice_is_named_doubled(tmp_path: Path) -> None:
    code, text, doc = load(
        tmp_path, "--target", str(MISBEHAVING), "--duration", "2", "--rate", "6",
        env={"REPLIES": "2"},
    )  # fmt: skip
    assert code == 1
    acc = doc["accounting"]
    assert acc["total"] > 0 and acc["doubled"] == acc["total"] and acc["lost"] == 0
    assert all(why.startswith("2 replies") for why in acc["doubled_ids"].values())
    assert "verdict: FAILED" in text
