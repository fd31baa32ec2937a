"""`metasim-gateway serve` as a real uvicorn process: health, handshake, signed POST, clean stop."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import socket
import sys
from pathlib import Path

import httpx
import pytest

from metasim.simulator.net import free_port
from metasim.simulator.process import ServerProcess
from metasim.steps.poll import eventually

ROOT = Path(__file__).resolve().parents[2]
SECRET = "process-test-secret-0123456789"


@pytest.fixture
def gateway_process(tmp_path: Path):
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("META_", "GATEWAY_"))},
        "META_APP_SECRET": SECRET,
        "META_VERIFY_TOKEN": "process-verify",
        "META_SIGNATURE_REQUIRED": "enforce",
        "GATEWAY_STORE": f"sqlite:///{tmp_path / 'gw.db'}",
        "GATEWAY_CLIENTS_FILE": str(ROOT / "examples" / "clients.json"),
        "GATEWAY_PORT": str(port),
        "LOG_FILE": str(tmp_path / "gateway.log"),
    }
    argv = [sys.executable, "-m", "metasim.gateway.cli", "serve"]
    output = tmp_path / "output.log"
    server = ServerProcess(argv, port=port, env=env, cwd=ROOT, output=output, stop_grace=15.0)
    with server.start(timeout=30):
        yield port, tmp_path / "gateway.log"


def output_of(log_file: Path) -> str:
    """What the process wrote on stdout / stderr (beside its log file, see the fixture)."""
    return (log_file.parent / "output.log").read_text(encoding="utf-8")


@pytest.mark.slow
def test_real_process_acks_a_signed_webhook_and_refuses_an_unsigned_one(gateway_process) -> None:
    port, log_file = gateway_process
    base = f"http://127.0.0.1:{port}"
    body = b'{"object":"page","entry":[{"id":"112233445566778","time":1458692752478,"messaging":[{"sender":{"id":"1254477777772919"},"recipient":{"id":"112233445566778"},"timestamp":1458692752478,"message":{"mid":"m_process_1","text":"hello"}}]}]}'
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    with httpx.Client(base_url=base, timeout=10) as c:
        assert c.get("/health").text == "OK"
        hs = c.get(
            "/webhook/msg",
            params={
                "hub.mode": "subscribe",
                "hub.verify_token": "process-verify",
                "hub.challenge": "42",
            },
        )
        assert (hs.status_code, hs.text) == (200, "42")
        assert (
            c.post(
                "/webhook/msg", content=body, headers={"X-Hub-Signature-256": signature}
            ).status_code
            == 200
        )
        assert c.post("/webhook/msg", content=body).status_code == 401
        ready = c.get("/ready")
        assert ready.status_code == 200, (ready.text, log_file.read_text()[-3000:])
        assert "inbound_total" in c.get("/metrics").text
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        raw.sendall(b"NOT HTTP AT ALL\r\n\r\n")  # uvicorn logs a warning of its own
        raw.recv(1024)
    text = log_file.read_text()
    assert (
        "META_SIGNATURE_REQUIRED" not in text or "enforce" in text
    )  # no startup warning in enforce
    assert SECRET not in text
    # the process's own output: every line JSON, the libraries' lines too (uvicorn's warning)
    eventually(lambda: output_of(log_file), lambda out: "uvicorn.error" in out, timeout=5)
    lines = [json.loads(line) for line in output_of(log_file).splitlines() if line.strip()]
    assert any(line.get("logger") == "uvicorn.error" for line in lines), lines
