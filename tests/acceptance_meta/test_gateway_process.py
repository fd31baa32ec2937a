"""A started gateway: ready probes (handshake, HTTP with body, TCP), and a process-group stop."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from metasim.simulator.net import free_port
from metasim.steps.targets.config import from_mapping
from metasim.steps.targets.ready import probe
from metasim.steps.targets.servers import GatewayProcess, GatewayStartError
from metasim.steps.targets.specs import ReadyProbe

ROOT = Path(__file__).resolve().parents[2]
SILENT = ROOT / "examples" / "zoo" / "silent" / "gateway.py"
# A gateway that answers 200 "n8n is starting up" to every path for 1 s (as n8n does while it
# migrates its database), then serves the handshake; it also starts a child of its own.
STARTING_UP = """
import os, subprocess, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
born = time.monotonic()
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        q = parse_qs(urlsplit(self.path).query)
        if time.monotonic() - born < 1.0:
            body = b"n8n is starting up"
        elif q.get("hub.verify_token") == ["vt"]:
            body = q["hub.challenge"][0].encode()
        else:
            body = b'{"status":"ok"}'
        self.send_response(200); self.send_header("Content-Length", str(len(body)))
        self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
"""


def config(port: int) -> object:
    return from_mapping(
        {
            "name": "probe",
            "base_url": f"http://127.0.0.1:{port}",
            "webhooks": {"wa": "/webhook/whatsapp-in"},
            "secrets": {"app_secret": "s", "verify_token": "vt"},
        },
        source="<test>",
    )


def start(tmp_path: Path, script: str, spec: ReadyProbe) -> tuple[GatewayProcess, float]:
    port = free_port()
    path = tmp_path / "gw.py"
    path.write_text(script, encoding="utf-8")
    gateway = GatewayProcess(
        [sys.executable, str(path)], {"PORT": str(port)}, str(tmp_path), tmp_path / "out.log",
        stop_grace=2.0,
    )  # fmt: skip
    ready, described = probe(config(port), spec, f"http://127.0.0.1:{port}", {"verify_token": "vt"})
    started = time.monotonic()
    gateway.start(ready, 15, described)
    return gateway, time.monotonic() - started


def test_the_handshake_probe_waits_out_an_engine_answering_starting_up(tmp_path: Path) -> None:
    gateway, waited = start(tmp_path, STARTING_UP, ReadyProbe("handshake"))
    try:
        assert waited >= 0.9, "a 200 'starting up' must not count as ready"
    finally:
        gateway.stop()


def test_an_http_probe_with_a_body_check_and_placeholders(tmp_path: Path) -> None:
    spec = ReadyProbe("http", "/healthz?token={verify_token}", (200,), '"status":"ok"')
    gateway, waited = start(tmp_path, STARTING_UP, spec)
    try:
        assert waited >= 0.9
    finally:
        gateway.stop()


def test_stop_ends_the_whole_process_group(tmp_path: Path) -> None:
    gateway, _ = start(tmp_path, STARTING_UP, ReadyProbe("tcp"))
    assert gateway.proc is not None
    group = gateway.proc.pid
    gateway.stop()
    time.sleep(0.2)
    alive = [pid for pid in _pids() if _group(pid) == group]
    assert alive == [], f"processes left in the gateway's group: {alive}"


def test_a_probe_that_never_succeeds_names_itself(tmp_path: Path) -> None:
    port = free_port()
    gateway = GatewayProcess(
        [sys.executable, str(SILENT)], {"PORT": str(port)}, str(tmp_path), tmp_path / "o.log"
    )
    spec = ReadyProbe("http", "/ready", (204,))
    ready, described = probe(config(port), spec, f"http://127.0.0.1:{port}", {})
    with pytest.raises(
        GatewayStartError, match=r"GET http://127.0.0.1:\d+/ready answering \[204\]"
    ):
        gateway.start(ready, 1.5, described)


def _pids() -> list[int]:
    """Live processes (a killed child waiting to be reaped, a zombie, is not running)."""
    out = []
    for name in os.listdir("/proc"):
        try:
            state = Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if name.isdigit() and state != "Z":
            out.append(int(name))
    return out


def _group(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None
