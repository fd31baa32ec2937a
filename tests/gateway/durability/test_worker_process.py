"""Worker process mode of `metasim-gateway serve`: the child runs the stages and sends, supervised."""

from __future__ import annotations

import signal
from pathlib import Path

import httpx
import psutil
import pytest

from metasim.steps.poll import eventually
from tests.gateway.durability.harness import (
    CountingGraph,
    Gateway,
    gateway_env,
    post_texts,
)
from tests.support.metrics_text import total

pytestmark = pytest.mark.slow


def _children(pid: int) -> list[psutil.Process]:
    return [p for p in psutil.Process(pid).children() if p.is_running()]


def _child(gw: Gateway) -> psutil.Process:
    kids = [
        p for p in _children(gw.proc.pid) if "metasim.gateway.split.child" in " ".join(p.cmdline())
    ]
    assert len(kids) == 1, f"expected one worker process, found {[p.cmdline() for p in kids]}"
    return kids[0]


def _sample(gw: Gateway, name: str, **labels: str) -> float:
    """One counter of the gateway's /metrics (both processes summed by the scrape)."""
    return total(httpx.get(f"{gw.url}/metrics", timeout=5).text, name, **labels)


@pytest.fixture
def graph() -> CountingGraph:
    with CountingGraph() as g:
        yield g


def _gateway(tmp_path: Path, graph: CountingGraph, **extra: str) -> Gateway:
    env = gateway_env(f"sqlite:///{tmp_path / 'gw.db'}", graph.base, tmp_path / "gw.log")
    env.update(extra)
    return Gateway(env)


def test_the_worker_process_replies_and_metrics_sum_both_processes(
    tmp_path: Path, graph: CountingGraph
) -> None:
    gw = _gateway(tmp_path, graph)
    try:
        child = _child(gw)
        assert child.pid != gw.proc.pid
        # the ACKs come first when the CPU is short (GATEWAY_WORKER_NICENESS, default 5)
        assert child.nice() == min(19, psutil.Process(gw.proc.pid).nice() + 5)
        texts = post_texts(gw.url, 5, seed=31)
        assert eventually(
            lambda: all(graph.replies[t] == 1 for t in texts), bool, timeout=15, interval=0.1
        ), "waited 15 s for " + "5 replies"
        # ACK counted by the HTTP process, processing and sending by the child: one scrape
        assert _sample(gw, "inbound_total", channel="wa", outcome="accepted") == 5
        assert eventually(
            lambda: _sample(gw, "outbound_total", channel="wa", outcome="sent") == 5,
            bool,
            timeout=5,
            interval=0.1,
        ), "waited 5 s for sent=5"
        assert _sample(gw, "inbound_total", channel="wa", outcome="processed") == 5
        assert httpx.get(f"{gw.url}/ready", timeout=5).json() == {"ready": True, "worker": "alive"}
    finally:
        gw.stop()
    assert sum(graph.replies.values()) == 5


def test_a_killed_worker_process_is_restarted_and_loses_nothing(
    tmp_path: Path, graph: CountingGraph
) -> None:
    gw = _gateway(tmp_path, graph)
    try:
        first = _child(gw)
        first.send_signal(signal.SIGKILL)
        # /ready reports it at once (the link's EOF), and stays 200: the ACK path is up
        worker = lambda: httpx.get(f"{gw.url}/ready").json()["worker"]  # noqa: E731
        assert eventually(lambda: worker() == "down", bool, timeout=3, interval=0.1), (
            "waited 3 s for " + "/ready worker: down"
        )
        assert httpx.get(f"{gw.url}/ready").status_code == 200
        # webhooks keep being ACKed into the durable inbox while the worker is down
        texts = post_texts(gw.url, 3, seed=32)
        assert eventually(lambda: worker() == "alive", bool, timeout=15, interval=0.1), (
            "waited 15 s for " + "/ready worker: alive"
        )
        assert _child(gw).pid != first.pid
        assert eventually(
            lambda: all(graph.replies[t] == 1 for t in texts), bool, timeout=15, interval=0.1
        ), "waited 15 s for " + "3 replies"
    finally:
        gw.stop()
    assert all(graph.replies[t] == 1 for t in texts)


def test_sigkill_of_the_gateway_takes_its_worker_process_down_too(
    tmp_path: Path, graph: CountingGraph
) -> None:
    gw = _gateway(tmp_path, graph)
    child = _child(gw)
    gw.kill()
    # no orphan left to race the next gateway on the same store (PR_SET_PDEATHSIG)
    assert eventually(
        lambda: not psutil.pid_exists(child.pid) or child.status() == "zombie",
        bool,
        timeout=5,
        interval=0.1,
    ), "waited 5 s for the worker process to die"


def test_inline_mode_runs_everything_in_one_process(tmp_path: Path, graph: CountingGraph) -> None:
    gw = _gateway(tmp_path, graph, GATEWAY_WORKERS="inline")
    try:
        assert _children(gw.proc.pid) == []
        texts = post_texts(gw.url, 3, seed=33)
        assert eventually(
            lambda: all(graph.replies[t] == 1 for t in texts), bool, timeout=15, interval=0.1
        ), "waited 15 s for " + "3 replies"
        assert _sample(gw, "outbound_total", channel="wa", outcome="sent") == 3
    finally:
        gw.stop()
