"""The n8n workflows' JavaScript under plain Node (node --test n8n/test/), without n8n itself."""

from __future__ import annotations

import itertools
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

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


def _before_answer(wf: dict[str, Any], start: str) -> list[dict[str, Any]]:
    """The nodes a webhook's request passes through before a Respond to Webhook node runs."""
    nodes = {n["name"]: n for n in wf["nodes"]}
    seen: dict[str, dict[str, Any]] = {}
    todo = [start]
    while todo:
        node = nodes[todo.pop()]
        if node["name"] in seen or node["type"] == "n8n-nodes-base.respondToWebhook":
            continue
        seen[node["name"]] = node
        # every output but a guarded Code node's error output (index 1) carries the request on
        outputs = wf["connections"].get(node["name"], {}).get("main", [])
        for index, links in enumerate(outputs):
            if index == 1 and node.get("onError") == "continueErrorOutput":
                continue
            todo.extend(link["node"] for link in links)
    return list(seen.values())


def test_a_code_node_that_throws_before_the_answer_answers_500() -> None:
    """n8n answers 200 empty when a node throws before Respond to Webhook: each is guarded."""
    import json

    checked = 0
    for path in sorted((ROOT / "n8n" / "workflows").glob("*.json")):
        wf = json.loads(path.read_text(encoding="utf-8"))
        nodes = {n["name"]: n for n in wf["nodes"]}
        for hook in (n for n in wf["nodes"] if n["type"] == "n8n-nodes-base.webhook"):
            for node in _before_answer(wf, hook["name"]):
                if node["type"] != "n8n-nodes-base.code":
                    continue
                where = f"{path.name}: {node['name']}"
                assert node.get("onError") == "continueErrorOutput", f"{where} is not guarded"
                errors = wf["connections"][node["name"]]["main"][1]
                answers = [nodes[link["node"]] for link in errors]
                assert answers, f"{where}: its error output leads nowhere"
                for answer in answers:
                    assert answer["type"] == "n8n-nodes-base.respondToWebhook", where
                    assert answer["parameters"]["options"]["responseCode"] >= 500, where
                checked += 1
    # W1-W3's parse and handshake, W9's seven routes
    assert checked >= 3 * 2 + 7
