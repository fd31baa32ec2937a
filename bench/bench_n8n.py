"""The n8n gateway beside the reference gateway, same run: ACK rate, ACK p99, end-to-end p99.

Run: ``.venv/bin/python -m bench.bench_n8n [--rate 25] [--seconds 20]`` after ``make n8n``.
Both gateways get the same open-loop schedule of distinct signed WhatsApp texts (bench/open_loop.py:
request i leaves at start + i / rate whatever came before, so a slow answer counts against
every request behind it) and send their replies to one fake Graph API (``metasim graph serve``)
whose recorder times each reply. The reference gateway is the baseline; the rate is one n8n
can sustain on two cores (a Webhook + Code workflow alone measured ~40 req/s here).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bench.bench_gateway import SECRET, e2e_latencies, fake_graph, gateway, open_loop_run, pct
from bench.machine import describe
from metasim.simulator.net import free_port
from metasim.simulator.process import ServerProcess
from tests.support.metrics_text import total

ROOT = Path(__file__).resolve().parent.parent
N8N_SCRIPT = ROOT / "scripts" / "n8n_gateway.py"
VERIFY = "bench-verify"


@contextmanager
def n8n(graph: str, tmp: Path) -> Iterator[str]:
    """The n8n gateway (scripts/n8n_gateway.py serve) on a free port, ready when W1 handshakes."""
    if not (ROOT / ".n8n" / "home").is_dir():
        raise SystemExit("bench_n8n: run `make n8n` first (installs n8n and imports the workflows)")
    port = free_port()
    tmp.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEWAY_", "META_", "WA_"))}
    env.update(
        GATEWAY_ENV="test",
        META_APP_SECRET=SECRET,
        META_VERIFY_TOKEN=VERIFY,
        META_SIGNATURE_REQUIRED="enforce",
        WA_SEND_URL=f"{graph}/v25.0",
        CLIENTS_FILE=str(ROOT / "examples" / "clients.json"),
        GATEWAY_SEAL_KEY="bench-seal-key",
        LOG_FILE=str(tmp / "gateway.log"),
    )
    cmd = [sys.executable, str(N8N_SCRIPT), "serve", "--tmp", str(tmp), "--port", str(port)]
    server = ServerProcess(cmd, port=port, env=env, cwd=ROOT, stop_grace=20.0, name="n8n gateway")
    with server.start(timeout=120):
        url = f"http://127.0.0.1:{port}"
        _handshake(url)
        yield url


def _handshake(url: str, timeout: float = 120) -> None:
    # n8n answers 200 "starting up" to every path while it migrates: only W1 echoes a challenge
    params = {"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "ready"}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/webhook/wa", params=params, timeout=5).text == "ready":
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"n8n at {url} did not answer the handshake in {timeout:g} s")


def measure(
    name: str, url: str, path: str, graph: str, metrics: str, args: argparse.Namespace
) -> str:
    httpx.delete(f"{graph}/__metasim/calls", timeout=10)
    result, texts = open_loop_run(url, f"e2e-{name}", args.rate, args.seconds, path=path)
    ok = sum(s == 200 for s in result.statuses)

    def sent() -> float:
        return total(httpx.get(url + metrics, timeout=10).text, "outbound_total", outcome="sent")

    lat, missing = e2e_latencies(graph, texts, result, sent, timeout=120)
    return (
        f"| {name} | {args.rate:g}/s x {args.seconds:g} s | {ok / result.wall:.1f} req/s "
        f"({len(result.statuses) - ok} non-200) | {result.percentile(0.5) * 1000:.0f} / "
        f"{result.percentile(0.99) * 1000:.0f} ms | {pct(lat, 0.5):.0f} / {pct(lat, 0.99):.0f} ms "
        f"({len(lat)} replies, {missing} missing) |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=25.0, help="webhooks per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    print(describe())
    print("| gateway | load | ACK rate | ACK p50 / p99 | end-to-end p50 / p99 |")
    print("|---|---|---|---|---|")
    with fake_graph() as graph, tempfile.TemporaryDirectory() as tmp:
        with gateway(graph, Path(tmp) / "reference", "WARNING") as gw:
            print(measure("reference", gw, "/webhook/wa", graph, "/metrics", args), flush=True)
        with n8n(graph, Path(tmp) / "n8n") as gw:
            print(measure("n8n", gw, "/webhook/wa", graph, "/webhook/metrics", args), flush=True)


if __name__ == "__main__":
    main()
