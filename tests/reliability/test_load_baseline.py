"""The load baseline: the same Locust profile against a bare HMAC endpoint, figures beside the run."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import httpx
import pytest

from metasim.simulator.load import meta_side as meta
from metasim.simulator.load.bare import bare_app
from metasim.simulator.load.profiles import get_profile
from metasim.simulator.load.runner import run_baseline

SECRET = "baseline-secret-0123456789"


@pytest.mark.anyio
@pytest.mark.parametrize("path", ["/webhook", "/webhook/wa", "/webhook/ig", "/webhook/msg"])
async def test_the_bare_endpoint_answers_200_only_to_a_right_signature(path: str) -> None:
    body = b'{"object":"page","entry":[]}'
    right = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    transport = httpx.ASGITransport(app=bare_app(SECRET))
    async with httpx.AsyncClient(transport=transport, base_url="http://bare.test") as c:
        ok = await c.post(path, content=body, headers={"X-Hub-Signature-256": right})
        wrong = await c.post(path, content=body, headers={"X-Hub-Signature-256": "sha256=00"})
        missing = await c.post(path, content=body)
    assert (ok.status_code, ok.text) == (200, "EVENT_RECEIVED")
    assert wrong.status_code == 403 and missing.status_code == 403


@pytest.mark.slow
def test_a_baseline_run_writes_the_ack_figures_of_the_same_profile(tmp_path: Path) -> None:
    out = tmp_path / "load-baseline.json"
    profile = get_profile("steady").with_overrides(duration=4, rate=20, users=2, redelivery=0.0)
    assert run_baseline(profile, out) == 0  # every webhook ACKed by the bare endpoint
    run = json.loads(out.read_text())["run"]
    assert "accounting" not in json.loads(out.read_text())  # nothing to account: no replies
    assert run["profile"] == "80 mps steady" and run["messages never answered 200"] == 0
    assert run["webhook outcomes"][meta.IN_TIME] == run["webhooks POSTed (first delivery)"]
    assert run["webhooks POSTed (first delivery)"] >= 40  # 4 s at 20 messages/s, some batched
    assert 0 < run["ACK latency p50 (ms)"] <= run["ACK latency p99 (ms)"]
