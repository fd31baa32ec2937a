"""Headless load run: start the Stack, script the faults, run Locust on it, return its verdict."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from metasim.simulator.load import bare
from metasim.simulator.load.profiles import Profile
from metasim.simulator.load.stack import ADMIN_TOKEN, SECRET, Stack, _Proc
from metasim.simulator.net import free_port

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
MAX_DURATION = 600.0  # loopback runs stay bounded in time ...
MAX_RATE = 5000.0  # ... and in count (rate x duration)
SETTLE_ALLOWANCE = 240.0  # after the load: retries settle, accounting runs


def locust_command(profile: Profile, host: str, graph: str, json_path: Path) -> list[str]:
    """The `locust --headless` command line for one profile against a running stack."""
    users = str(profile.users)
    return [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
        "-u", users, "-r", users, "-t", f"{profile.duration:g}s", "--stop-timeout", "5",
        "--host", host, "--only-summary", "--loglevel", "WARNING",
        "--metasim-profile", profile.name, "--metasim-rate", f"{profile.rate:g}",
        "--metasim-users", users, "--metasim-redelivery", f"{profile.redelivery:g}",
        "--metasim-graph", graph, "--metasim-json", str(json_path),
    ]  # fmt: skip


def _check(profile: Profile) -> None:
    if not 0 < profile.duration <= MAX_DURATION:
        raise ValueError(f"duration must be within (0, {MAX_DURATION:g}] s, got {profile.duration}")
    if not 0 < profile.rate <= MAX_RATE:
        raise ValueError(f"rate must be within (0, {MAX_RATE:g}] messages/s, got {profile.rate}")


def _locust(cmd: list[str], profile: Profile) -> int:
    env = {**os.environ, "METASIM_LOAD_SECRET": SECRET, "METASIM_LOAD_ADMIN_TOKEN": ADMIN_TOKEN}
    try:
        return subprocess.run(cmd, env=env, timeout=profile.duration + SETTLE_ALLOWANCE).returncode
    except subprocess.TimeoutExpired:
        print(f"the load run overran {profile.duration + SETTLE_ALLOWANCE:g} s and was stopped")
        return 1


def run_baseline(profile: Profile, json_path: Path) -> int:
    """The same profile against a bare HMAC endpoint (metasim.simulator.load.bare): the ACK floor of
    this machine with this sender, measured beside the gateway's run; 0 if all were ACKed."""
    _check(profile)
    port = free_port()
    argv = bare.command(port, SECRET)
    with tempfile.TemporaryDirectory(prefix="metasim-bare-") as tmp:
        endpoint = _Proc("bare HMAC endpoint", argv, os.environ, Path(tmp) / "bare.log")
        endpoint.start()
        try:
            cmd = locust_command(profile, f"http://127.0.0.1:{port}", "", json_path)
            return _locust(cmd, profile)
        finally:
            endpoint.stop()


def run(profile: Profile, json_path: Path, store_url: str | None = None) -> int:
    """Run ``profile`` headless on a fresh stack; 0 when the accounting is exactly-once."""
    _check(profile)
    with Stack(store_url=store_url, callbacks=profile.status_callbacks) as stack:
        stack.add_faults(profile.faults())
        cmd = locust_command(profile, stack.gateway_url(0), stack.graph_url, json_path)
        return _locust(cmd, profile)
