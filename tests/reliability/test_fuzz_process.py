"""Hostile requests on raw sockets to a real `metasim-gateway serve`: no 5xx, alive, RSS bounded."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from collections import Counter
from pathlib import Path

import psutil
import pytest

from metasim.simulator.graph import GraphConfig, TokenGrant, create_graph_app
from metasim.simulator.graph.server import ServerThread
from metasim.simulator.net import free_port
from metasim.steps.poll import eventually
from tests.gateway.durability.harness import Gateway
from tests.reliability.fuzz_rig import GRAPH_TOKEN, PHONE_ID, gateway_env, sign, valid_text
from tests.reliability.hostile import Case, cases

CASES = int(os.environ.get("FUZZ_PROCESS_CASES", "150"))
# RSS growth allowed between the middle and the end of the run (allocator noise included)
MAX_RSS_GROWTH_MB = float(os.environ.get("FUZZ_MAX_RSS_GROWTH_MB", "20"))


def raw_request(port: int, case: Case) -> int:
    """Write the request bytes as they are (h11 clients refuse CRLF in headers); 0 = no answer."""
    head = [f"POST {case.path} HTTP/1.1".encode(), b"Host: 127.0.0.1", b"Connection: close"]
    names = {k.lower() for k, _ in case.headers}
    if b"content-length" not in names:
        head.append(b"Content-Length: " + str(len(case.body)).encode())
    head += [k + b": " + v for k, v in case.headers]
    data = b""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        # the server may answer early (413, bad header) and close: then read what it said
        with contextlib.suppress(ConnectionResetError, BrokenPipeError):
            sock.sendall(b"\r\n".join(head) + b"\r\n\r\n" + case.body)
        try:
            while chunk := sock.recv(65536):
                data += chunk
        except (ConnectionResetError, TimeoutError):
            pass  # no answer: counted as 0 below
    parts = data.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def rss_mb(pid: int) -> float:
    return psutil.Process(pid).memory_info().rss / 1e6


@pytest.mark.slow
def test_real_process_survives_hostile_requests_with_bounded_rss(tmp_path: Path) -> None:
    grants = [TokenGrant(PHONE_ID, "wa", GRAPH_TOKEN)]
    graph = create_graph_app(GraphConfig(grants=grants, seed=5))
    server = ServerThread(graph, free_port())
    base = server.start() + "/v25.0"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("GATEWAY_", "META_"))},
           **gateway_env(f"sqlite:///{tmp_path / 'gw.db'}", tmp_path / "gw.log", base, "WARNING")}  # fmt: skip
    gateway = Gateway(env)
    try:
        pid = gateway.proc.pid
        warm = list(cases(100, seed=998))
        for case in warm:
            raw_request(gateway.port, case)
        statuses: Counter[int] = Counter()
        rss = [rss_mb(pid)]
        for i, case in enumerate(cases(CASES, seed=3)):
            statuses[raw_request(gateway.port, case)] += 1
            if i == CASES // 2:
                rss.append(rss_mb(pid))
        rss.append(rss_mb(pid))
        print(f"\nprocess fuzz: {CASES} cases, statuses {dict(statuses)}, RSS MB "
              f"start/middle/end {rss[0]:.1f} / {rss[1]:.1f} / {rss[2]:.1f}")  # fmt: skip
        assert gateway.proc.poll() is None, "the gateway process died"
        assert not [s for s in statuses if s >= 500], statuses
        # 0: the connection closed without an answer. uvicorn does this for requests it cannot
        # parse (CRLF or bytes >0x7f in header names): a protocol refusal, not a crash
        assert rss[2] - rss[1] < MAX_RSS_GROWTH_MB, rss
        probe(gateway.port, graph)
    finally:
        gateway.stop()
        server.stop()


def probe(port: int, graph: object) -> None:
    """/ready answers 200 and a fresh valid message still gets its echo reply."""
    ready = raw_request(port, Case("ready", "/ready", [], b""))  # POST /ready: 405 proves parsing
    assert ready == 405
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET /ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert b" 200 " in sock.recv(65536).split(b"\r\n")[0] + b" "
    text = f"process liveness {time.time_ns()}"
    body = valid_text(text, 31337)
    case = Case("valid", "/webhook/wa", [(b"x-hub-signature-256", sign(body).encode())], body)
    assert raw_request(port, case) == 200
    recorder = graph.recorder  # type: ignore[attr-defined]
    assert eventually(
        lambda: any(text in json.dumps(c.body) for c in recorder.calls()),
        bool,
        timeout=15,
        interval=0.1,
    ), "waited 15 s for the echo reply"
