"""`metasim-gateway http` and `metasim-gateway worker` run alone on one SQLite store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from metasim.steps.poll import eventually
from tests.gateway.durability.harness import (
    CountingGraph,
    Gateway,
    gateway_env,
    post_texts,
    signed_text,
)
from tests.support.metrics_text import total

pytestmark = pytest.mark.slow
ADMIN = "separate-admin-token-0123456789"
AUTH = {"Authorization": f"Bearer {ADMIN}"}


@pytest.fixture
def graph() -> Iterator[CountingGraph]:
    with CountingGraph() as g:
        yield g


@pytest.fixture
def env(tmp_path: Path, graph: CountingGraph) -> dict[str, str]:
    env = gateway_env(f"sqlite:///{tmp_path / 'shared.db'}", graph.base, tmp_path / "gw.log")
    env["GATEWAY_ADMIN_TOKEN"] = ADMIN
    return env


@pytest.fixture
def http(env: dict[str, str]) -> Iterator[Gateway]:
    p = Gateway(env, "http")
    yield p
    p.stop()


@pytest.fixture
def worker(env: dict[str, str]) -> Iterator[Gateway]:
    p = Gateway(env, "worker")
    yield p
    p.stop()


def _inbox_depth(http: Gateway) -> float:
    return total(httpx.get(f"{http.url}/metrics", timeout=5).text, "inbox_depth")


def _ready(p: Gateway) -> httpx.Response:
    return httpx.get(f"{p.url}/ready", timeout=5)


def test_a_webhook_acked_by_the_http_process_is_answered_by_the_worker(
    http: Gateway, worker: Gateway, graph: CountingGraph
) -> None:
    texts = post_texts(http.url, 3, seed=41)
    assert eventually(
        lambda: all(graph.replies[t] == 1 for t in texts), bool, timeout=15, interval=0.1
    ), "waited 15 s for " + "3 replies"
    assert _ready(http).json() == {"ready": True, "worker": "separate"}
    assert _ready(worker).json() == {"ready": True}
    assert httpx.get(f"{worker.url}/health", timeout=5).text == "OK"
    # each process counts its own side on its own /metrics
    worker_metrics = httpx.get(f"{worker.url}/metrics", timeout=5).text
    assert total(worker_metrics, "outbound_total", channel="wa", outcome="sent") == 3
    assert total(worker_metrics, "worker_alive") == 1


def test_what_only_the_worker_holds_is_asked_of_the_worker(
    http: Gateway, worker: Gateway, graph: CountingGraph
) -> None:
    (text,) = post_texts(http.url, 1, seed=42)
    assert eventually(lambda: graph.replies[text] == 1, bool, timeout=15, interval=0.1), (
        "waited 15 s for " + "1 reply"
    )
    payload = json.loads(signed_text(0, 42)[1])
    msg_id = payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
    refused = httpx.get(f"{http.url}/admin/envelopes", params={"msg_id": msg_id}, headers=AUTH)
    assert refused.status_code == 503
    assert "--port" in refused.json()["error"]["hint"]
    found = httpx.get(f"{worker.url}/admin/envelopes", params={"msg_id": msg_id}, headers=AUTH)
    assert found.status_code == 200 and found.json()["count"] == 1


def test_a_dead_worker_leaves_the_ack_path_ready_and_its_backlog_drains_on_restart(
    http: Gateway, worker: Gateway, graph: CountingGraph
) -> None:
    worker.kill()
    # readiness is the store's, not the worker's: the load balancer keeps the ACK path
    assert _ready(http).status_code == 200
    texts = post_texts(http.url, 3, seed=43)
    assert _ready(http).status_code == 200
    assert _inbox_depth(http) == 3  # ACKed into the durable inbox, nobody claims them
    assert sum(graph.replies.values()) == 0
    worker.start(timeout=30)
    assert eventually(
        lambda: all(graph.replies[t] == 1 for t in texts), bool, timeout=15, interval=0.1
    ), "waited 15 s for " + "the backlog answered"
    assert eventually(lambda: _inbox_depth(http) == 0, bool, timeout=5, interval=0.1), (
        "waited 5 s for " + "an empty inbox"
    )
    assert sum(graph.replies.values()) == 3
