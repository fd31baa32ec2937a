"""The locustfile in Locust's master / worker mode: workers load, the master accounts exactly once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from metasim.simulator.load.runner import LOCUSTFILE
from metasim.simulator.load.stack import ADMIN_TOKEN, SECRET, Stack
from metasim.simulator.net import free_port

pytestmark = pytest.mark.slow


def test_master_and_worker_account_every_message_once(tmp_path: Path) -> None:
    out = tmp_path / "accounting.json"
    env = {**os.environ, "METASIM_LOAD_SECRET": SECRET, "METASIM_LOAD_ADMIN_TOKEN": ADMIN_TOKEN}
    port = free_port()
    locust = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--loglevel", "WARNING"]
    with Stack(workdir=tmp_path / "stack") as stack:
        stack.add_faults([{"action": "http", "status": 502, "probability": 0.05}])
        master_cmd = [*locust, "--headless", "--master", "--expect-workers", "1"]
        master_cmd += ["--master-bind-host", "127.0.0.1", "--master-bind-port", str(port)]
        master_cmd += ["-u", "4", "-r", "4", "-t", "8s", "--host", stack.gateway_url()]
        master_cmd += [
            "--metasim-profile",
            "steady",
            "--metasim-rate",
            "20",
            "--metasim-users",
            "4",
        ]
        master_cmd += ["--metasim-graph", stack.graph_url, "--metasim-json", str(out)]
        worker_cmd = [*locust, "--worker", "--master-host", "127.0.0.1", "--master-port", str(port)]
        master = subprocess.Popen(
            master_cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        worker = subprocess.Popen(
            worker_cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            output = master.communicate(timeout=150)[0].decode()
        finally:
            for proc in (master, worker):
                if proc.poll() is None:
                    proc.kill()
                proc.wait()
        assert master.returncode == 0, output[-3000:]
        # cross-check the master's figures against the fake Graph directly
        token_sends = [
            c
            for c in stack.graph_calls(kind="send")
            if c["status"] == 200 and "mload-" in json.dumps(c["body"])
        ]
    doc = json.loads(out.read_text())["accounting"]
    assert doc["ok"] and doc["total"] > 50, "the worker's ACKs must reach the master"
    assert doc["replied_once"] + doc["dead_lettered"] == doc["total"]
    # a request cut by the stop is processed but never seen ACKed: reported apart, not lost
    assert len(token_sends) == doc["replied_once"] + doc["unacked_replies"]
    assert doc["refused_calls"] > 0
