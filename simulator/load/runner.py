"""Headless load run: start the Stack, script the faults, run Locust on it, return its verdict."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from metasim.simulator.load import bare, meta_side
from metasim.simulator.load.profiles import Profile
from metasim.simulator.load.stack import ADMIN_TOKEN, SECRET, Stack, _Proc
from metasim.simulator.load.target import LoadTarget
from metasim.simulator.net import free_port

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
MAX_DURATION = 600.0  # loopback runs stay bounded in time ...
MAX_RATE = 5000.0  # ... and in count (rate x duration)
SETTLE_ALLOWANCE = 240.0  # after the load: retries settle, accounting runs


@dataclass(frozen=True)
class Options:
    """How Meta delivers (its timeout, retry back-off) and how many Locust workers send."""

    workers: int = 0  # 0: one process; N: a master and N forked workers (locust --processes)
    timeout: float = 0.0  # Meta's webhook timeout for every channel; 0: Meta's own per channel
    compression: float = meta_side.COMPRESSION
    attempts: int = meta_side.DELIVERY_ATTEMPTS
    seed: int = 0  # distinct per step of a rate search: tokens never repeat on one fake
    label: str = ""

    def args(self) -> list[str]:
        out = ["--metasim-timeout", f"{self.timeout:g}", "--metasim-compression"]
        out += [f"{self.compression:g}", "--metasim-attempts", str(self.attempts)]
        out += ["--metasim-seed", str(self.seed)]
        out += ["--metasim-label", self.label] if self.label else []
        # Locust's own distributed mode on one host: this process becomes the master
        return [*out, "--processes", str(self.workers)] if self.workers else out


def locust_command(
    profile: Profile,
    host: str,
    graph: str,
    json_path: Path,
    options: Options | None = None,
    extra: list[str] | None = None,
) -> list[str]:
    """The `locust --headless` command line for one profile against a running stack."""
    users = str(profile.users)
    options = options or Options()
    return [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
        "-u", users, "-r", str(profile.users * 10), "-t", f"{profile.duration:g}s", "--stop-timeout", "5",
        "--host", host, "--only-summary", "--loglevel", "WARNING",
        "--metasim-profile", profile.name, "--metasim-rate", f"{profile.rate:g}",
        "--metasim-users", users, "--metasim-redelivery", f"{profile.redelivery:g}",
        "--metasim-graph", graph, "--metasim-json", str(json_path),
        *options.args(), *(extra or []),
    ]  # fmt: skip


def _check(profile: Profile) -> None:
    if not 0 < profile.duration <= MAX_DURATION:
        raise ValueError(f"duration must be within (0, {MAX_DURATION:g}] s, got {profile.duration}")
    if not 0 < profile.rate <= MAX_RATE:
        raise ValueError(f"rate must be within (0, {MAX_RATE:g}] messages/s, got {profile.rate}")


def _locust(cmd: list[str], profile: Profile, env: dict[str, str] | None = None) -> int:
    env = env or {"METASIM_LOAD_SECRET": SECRET, "METASIM_LOAD_ADMIN_TOKEN": ADMIN_TOKEN}
    try:
        return subprocess.run(
            cmd, env={**os.environ, **env}, timeout=profile.duration + SETTLE_ALLOWANCE
        ).returncode
    except subprocess.TimeoutExpired:
        print(f"the load run overran {profile.duration + SETTLE_ALLOWANCE:g} s and was stopped")
        return 1


def run_baseline(profile: Profile, json_path: Path, options: Options | None = None) -> int:
    """The same profile against a bare HMAC endpoint (metasim.simulator.load.bare): the ACK floor of
    this machine with this sender, measured beside the gateway's run; 0 if all were ACKed."""
    _check(profile)
    port = free_port()
    argv = bare.command(port, SECRET)
    with tempfile.TemporaryDirectory(prefix="metasim-bare-") as tmp:
        endpoint = _Proc("bare HMAC endpoint", argv, os.environ, Path(tmp) / "bare.log")
        endpoint.start()
        try:
            cmd = locust_command(profile, f"http://127.0.0.1:{port}", "", json_path, options)
            return _locust(cmd, profile)
        finally:
            endpoint.stop()


def run(
    profile: Profile, json_path: Path, store_url: str | None = None, options: Options | None = None
) -> int:
    """Run ``profile`` headless on a fresh stack; 0 when the accounting is exactly-once."""
    _check(profile)
    with Stack(store_url=store_url, callbacks=profile.status_callbacks) as stack:
        stack.add_faults(profile.faults())
        cmd = locust_command(profile, stack.gateway_url(0), stack.graph_url, json_path, options)
        return _locust(cmd, profile)


def run_on(
    target: LoadTarget,
    profile: Profile,
    json_path: Path,
    options: Options,
    settle: float | None = None,
) -> int:
    """Run ``profile`` headless against a started target; 0 when every webhook was ACKed in
    time and the accounting is exactly-once. ``settle`` caps the wait for the last replies."""
    _check(profile)
    target.add_faults(profile.faults())
    cmd = locust_command(profile, target.host, target.graph_url, json_path, options)
    cmd += target.locust_args()
    cmd += ["--metasim-settle", f"{settle:g}"] if settle else []
    return _locust(cmd, profile, target.env())


def run_target(
    spec: str, profile: Profile, json_path: Path, options: Options, force_faults: bool = False
) -> int:
    """Start the target ``spec`` describes (and the harness's fake Graph API), run ``profile``.

    Graph faults make a gateway give some replies up; only its dead-letter queue tells those
    apart from lost ones. Without an admin API to read it, faults stay off (``force_faults``
    keeps them: every reply given up then counts as lost)."""
    _check(profile)
    with LoadTarget(spec, callbacks=profile.status_callbacks) as target:
        if profile.fault_rates and not target.admin[1] and not force_faults:
            print(
                f"{target.name} has no admin API to read dead letters from: Graph faults off "
                "(--faults keeps them; a reply given up then counts as lost)"
            )
            profile = profile.with_overrides(fault_rates={})
        print(f"== load: {profile.name} against {target.name} at {target.host}", flush=True)
        return run_on(target, profile, json_path, options)
