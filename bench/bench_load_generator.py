"""Signed webhooks/s from ONE Locust load worker vs the bare HMAC endpoint's own ceiling (wrk).

Run: ``.venv/bin/python -m bench.bench_load_generator [--seconds 10] [--rounds 3]`` (about a
minute per round). One bare endpoint (metasim.simulator.load.bare: uvicorn, HMAC check, 200)
serves both measurements, in interleaved rounds:

1. its ceiling: ``wrk`` posting one signed webhook body as fast as it can (C, one thread);
2. the generator: ``locust --headless`` with the load's own locustfile, ONE process, its users
   paced far above what it can reach, so it sends as fast as it can build, sign and POST (each
   webhook unique: fresh message ids and tokens), Meta's timeout and retries in force.

The figure is the generator's webhooks/s (first POSTs answered in time over the send span);
the verdict is the median of the per-round generator / ceiling ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from bench.bench_graph import run_wrk_script
from bench.machine import describe
from metasim.simulator.load import bare
from metasim.simulator.load.meta_side import IN_TIME
from metasim.simulator.load.profiles import WebhookFactory, get_profile
from metasim.simulator.load.runner import Options, _locust, locust_command
from metasim.simulator.net import free_port
from metasim.simulator.process import ServerProcess

SECRET = "bench-load-generator-secret-0123456789"
TARGET_PER_WORKER = 2000.0  # webhooks/s one worker should reach on a 2-core machine
USERS = 32
CONNECTIONS = 32  # wrk's, as many as the generator's users


def ceiling(url: str, seconds: float) -> float:
    """wrk against the bare endpoint with one signed webhook: requests/s (all must be 200)."""
    profile = get_profile("steady").with_overrides(batch_share=0.0)
    hook = WebhookFactory(profile, SECRET, 1).next()
    rps, bad = run_wrk_script(
        f"{url}/webhook/{hook.channel}", hook.body.decode(), hook.headers, seconds, CONNECTIONS
    )
    if bad:
        raise RuntimeError(f"the bare endpoint refused {bad} of wrk's signed webhooks")
    return rps


def generator(url: str, seconds: float, out: Path) -> float:
    """One Locust process at full speed against the bare endpoint: first POSTs ACKed per second."""
    profile = get_profile("steady").with_overrides(
        rate=100_000.0, users=USERS, duration=seconds, redelivery=0.0, fault_rates={}
    )
    cmd = locust_command(profile, url, "", out, Options())
    code = _locust(cmd, profile, {"METASIM_LOAD_SECRET": SECRET})
    run = json.loads(out.read_text())["run"]
    if code != 0:
        raise RuntimeError(f"the generator's webhooks were not all ACKed in time: {run}")
    return float(run["webhook outcomes"][IN_TIME]) / float(run["send span (s)"])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.bench_load_generator", description=__doc__)
    p.add_argument("--seconds", type=float, default=10.0, help="seconds per measurement")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds (ceiling, generator)")
    args = p.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk not found (Debian package wrk): the bare ceiling needs it", file=sys.stderr)
        return 1
    print(describe())
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-loadgen-") as tmp:
        endpoint = ServerProcess(
            bare.command(port, SECRET), port=port, output=Path(tmp) / "bare.log", name="bare"
        )
        endpoint.start(timeout=30)
        try:
            for n in range(1, args.rounds + 1):
                top = ceiling(url, args.seconds)
                made = generator(url, args.seconds, Path(tmp) / f"round{n}.json")
                rows.append((top, made))
                print(f"round {n}: bare ceiling (wrk) {top:,.0f} req/s, one Locust worker "
                      f"{made:,.0f} signed webhooks/s, ratio {made / top:.2f}", flush=True)  # fmt: skip
        finally:
            endpoint.stop()
    median = statistics.median(made for _, made in rows)
    ratio = statistics.median(made / top for top, made in rows)
    verdict = "met" if median >= TARGET_PER_WORKER else "missed"
    print(f"one worker: median {median:,.0f} webhooks/s (target >= {TARGET_PER_WORKER:,.0f}: "
          f"{verdict}); median of per-round ratios to the bare ceiling {ratio:.2f}")  # fmt: skip
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f}")
    return 0 if median >= TARGET_PER_WORKER else 1


if __name__ == "__main__":
    sys.exit(main())
