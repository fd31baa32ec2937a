"""The n8n workflows' JavaScript under plain Node (node --test n8n/test/), without n8n itself."""

from __future__ import annotations

import itertools
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from metasim.simulator.load.redis_server import redis_server

ROOT = Path(__file__).resolve().parents[2]
NODE = shutil.which("node")


@pytest.mark.skipif(NODE is None, reason="Node.js is not installed")
def test_node_unit_tests_pass_against_a_real_redis(tmp_path: Path) -> None:
    """Every n8n/test/*.test.js passes, the Redis-backed ones included (none skipped)."""
    assert NODE is not None
    with redis_server(tmp_path) as url:
        done = subprocess.run(
            [NODE, "--test", "--test-reporter=tap", str(ROOT / "n8n" / "test")],
            cwd=ROOT,
            env={"PATH": "/usr/bin:/bin", "METASIM_TEST_REDIS_URL": url},
            capture_output=True,
            text=True,
            timeout=120,
        )
    tail = done.stdout[-4000:] + done.stderr[-2000:]
    assert done.returncode == 0, f"node --test failed:\n{tail}"
    assert "# fail 0" in done.stdout, tail
    assert "# skipped 0" in done.stdout, f"some Node tests were skipped:\n{tail}"


def test_workflow_json_is_built_from_the_current_modules() -> None:
    """n8n/workflows/*.json match n8n/code/ (scripts/build_n8n_workflows.py --check)."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_n8n_workflows.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


def test_every_backlog_workflow_has_its_file_and_named_nodes() -> None:
    """One file per backlog workflow, the inbound ones with the backlog's node names in order."""
    import json

    folder = ROOT / "n8n" / "workflows"
    for name in (
        "W1_IN_WA",
        "W2_IN_IG",
        "W3_IN_MSG",
        "W5_OUT_WA",
        "W6_OUT_IG",
        "W7_OUT_MSG",
        "W8_DLQ_HANDLER",
    ):
        assert (folder / f"{name}.json").is_file(), name
    # the backlog's P0-06 flow, as node names linked one to the next
    flow = ["Webhook", "B0 - Parse & Canonicalize", "Signature OK?", "ACK", "Split Messages",
            "Contract Valid?", "Resolve Client", "Apply Auth", "Seal", "Token OK?", "Dedupe"]  # fmt: skip
    for name in ("W1_IN_WA", "W2_IN_IG", "W3_IN_MSG"):
        wf = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
        for src, dst in itertools.pairwise(flow):
            targets = [c["node"] for out in wf["connections"][src]["main"] for c in out]
            assert dst in targets, f"{name}: {src} does not lead to {dst}"
