"""`metasim-gateway http` and `metasim-gateway worker` run alone on one SQLite store."""

from __future__ import annotations

import json
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from metasim.simulator.net import free_port, wait_listening
from tests.gateway.durability.harness import (
    GATEWAY,
    ROOT,
    CountingGraph,
    gateway_env,
    post_texts,
    signed_text,
    wait_until,
)
from tests.support.metrics_text import total

pytestmark = pytest.mark.slow
ADMIN = "separate-admin-token-0123456789"
AUTH = {"Authorization": f"Bearer {ADMIN}"}


class Process:
    """One `metasim-gateway <command> --port N` on a free port, stopped by its fixture."""

    def __init__(self, command: str, env: dict[str, str]) -> None:
        self.command = command
        self.env = env
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        # stderr to a file, never an unread pipe (a full pipe would block the process)
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            [GATEWAY, self.command, "--port", str(self.port)],
            env=self.env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=self.stderr,
        )
        try:
            wait_listening(self.port, timeout=30)
        except TimeoutError:
            self.stderr.seek(0)
            output = self.stderr.read()[-3000:]  # before stop() closes the file
            self.stop()
            raise RuntimeError(f"{self.command} did not start: {output!r}") from None

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.stderr.close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if not self.stderr.closed:
            self.stderr.close()


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
def http(env: dict[str, str]) -> Iterator[Process]:
    p = Process("http", env)
    yield p
    p.stop()


@pytest.fixture
def worker(env: dict[str, str]) -> Iterator[Process]:
    p = Process("worker", env)
    yield p
    p.stop()


def _inbox_depth(http: Process) -> float:
    return total(httpx.get(f"{http.url}/metrics", timeout=5).text, "inbox_depth")


def _ready(p: Process) -> httpx.Response:
    return httpx.get(f"{p.url}/ready", timeout=5)


def test_a_webhook_acked_by_the_http_process_is_answered_by_the_worker(
    http: Process, worker: Process, graph: CountingGraph
) -> None:
    texts = post_texts(http.url, 3, seed=41)
    wait_until(lambda: all(graph.replies[t] == 1 for t in texts), 15, "3 replies")
    assert _ready(http).json() == {"ready": True, "worker": "separate"}
    assert _ready(worker).json() == {"ready": True}
    assert httpx.get(f"{worker.url}/health", timeout=5).text == "OK"
    # each process counts its own side on its own /metrics
    worker_metrics = httpx.get(f"{worker.url}/metrics", timeout=5).text
    assert total(worker_metrics, "outbound_total", channel="wa", outcome="sent") == 3
    assert total(worker_metrics, "worker_alive") == 1


def test_what_only_the_worker_holds_is_asked_of_the_worker(
    http: Process, worker: Process, graph: CountingGraph
) -> None:
    (text,) = post_texts(http.url, 1, seed=42)
    wait_until(lambda: graph.replies[text] == 1, 15, "1 reply")
    payload = json.loads(signed_text(0, 42)[1])
    msg_id = payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
    refused = httpx.get(f"{http.url}/admin/envelopes", params={"msg_id": msg_id}, headers=AUTH)
    assert refused.status_code == 503
    assert "--port" in refused.json()["error"]["hint"]
    found = httpx.get(f"{worker.url}/admin/envelopes", params={"msg_id": msg_id}, headers=AUTH)
    assert found.status_code == 200 and found.json()["count"] == 1


def test_a_dead_worker_leaves_the_ack_path_ready_and_its_backlog_drains_on_restart(
    http: Process, worker: Process, graph: CountingGraph
) -> None:
    worker.kill()
    # readiness is the store's, not the worker's: the load balancer keeps the ACK path
    assert _ready(http).status_code == 200
    texts = post_texts(http.url, 3, seed=43)
    assert _ready(http).status_code == 200
    assert _inbox_depth(http) == 3  # ACKed into the durable inbox, nobody claims them
    assert sum(graph.replies.values()) == 0
    worker.start()
    wait_until(lambda: all(graph.replies[t] == 1 for t in texts), 15, "the backlog answered")
    wait_until(lambda: _inbox_depth(http) == 0, 5, "an empty inbox")
    assert sum(graph.replies.values()) == 3
