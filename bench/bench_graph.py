"""Valid WhatsApp text sends per second: the fake Graph API vs a bare Starlette JSON endpoint.

Run: ``.venv/bin/python -m bench.bench_graph [--seconds 5] [--connections 32]`` (about 15 s).
Both servers run as real processes under the same uvicorn settings and are driven by the same
client in the same run: ``wrk`` when installed (``apt-get install wrk``: a C client, so the
client costs little CPU), else an async httpx client with the same concurrency.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bench.machine import describe
from metasim.simulator.graph.config import DEFAULT_TOKEN
from metasim.simulator.net import free_port
from metasim.simulator.process import ServerProcess
from tests.support.graph_cli import graph_serve_argv

ROOT = Path(__file__).resolve().parent.parent
PATH = "/v25.0/106540352242922/messages"
BODY = {
    "messaging_product": "whatsapp",
    "recipient_type": "individual",
    "to": "33612345678",
    "type": "text",
    "text": {"preview_url": False, "body": "Bonjour, votre commande 4512 est en route."},
}
HEADERS = {"Authorization": f"Bearer {DEFAULT_TOKEN}", "Content-Type": "application/json"}
BARE_ANSWER = (
    b'{"messaging_product":"whatsapp","contacts":[{"input":"33612345678","wa_id":"33612345678"}],'
    b'"messages":[{"id":"wamid.HBgLMzM2MTIzNDU2NzgVAgARGBJCNTdEQkVEOUUxMDAwMDAwMDEA"}]}'
)


def bare_app() -> object:
    """The baseline: a Starlette app whose one route returns a fixed JSON body."""
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    async def messages(request: object) -> Response:
        return Response(BARE_ANSWER, media_type="application/json")

    return Starlette(routes=[Route("/{version}/{phone}/messages", messages, methods=["POST"])])


def serve_bare(port: int) -> None:
    """Serve the baseline with the fake's uvicorn settings (httptools, uvloop, no access log)."""
    import uvicorn

    uvicorn.run(bare_app(), host="127.0.0.1", port=port, log_level="warning", access_log=False)  # type: ignore[arg-type]


@contextmanager
def server(kind: str) -> Iterator[str]:
    """Start the fake (``metasim graph serve``) or the baseline as a child process."""
    port = free_port()
    if kind == "fake":
        cmd = graph_serve_argv(port)
    else:
        cmd = [sys.executable, "-m", "bench.bench_graph", "--serve-bare", str(port)]
    with ServerProcess(cmd, port=port, cwd=ROOT, name=f"{kind} Graph"):
        yield f"http://127.0.0.1:{port}"


def check_answer(url: str) -> None:
    """One request first: the benchmark only counts if the send is accepted (HTTP 200)."""
    answer = httpx.post(url + PATH, json=BODY, headers=HEADERS)
    if answer.status_code != 200 or "messages" not in answer.json():
        raise SystemExit(f"{url} did not accept the send: {answer.status_code} {answer.text}")


def run_wrk(url: str, seconds: float, connections: int) -> tuple[float, int]:
    """Requests/s and non-2xx count measured by wrk."""
    return run_wrk_script(url + PATH, json.dumps(BODY), HEADERS, seconds, connections)


def run_wrk_script(
    url: str, body: str, headers: dict[str, str], seconds: float, connections: int
) -> tuple[float, int]:
    """wrk posting one fixed ``body`` with ``headers`` to ``url``: requests/s and non-2xx count."""
    script = f'wrk.method = "POST"\nwrk.body = {json.dumps(body)}\n' + "".join(
        f'wrk.headers["{k}"] = "{v}"\n' for k, v in headers.items()
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    try:
        out = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{int(seconds)}s", "-s", f.name, url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(f.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rps, int(bad.group(1)) if bad else 0


async def _httpx_load(url: str, seconds: float, connections: int) -> tuple[float, int]:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    done, bad = 0, 0
    async with httpx.AsyncClient(base_url=url, limits=limits, headers=HEADERS) as client:
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal done, bad
            content = json.dumps(BODY).encode()
            while time.perf_counter() < deadline:
                answer = await client.post(PATH, content=content)
                done += 1
                bad += answer.status_code != 200

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        return done / (time.perf_counter() - started), bad


def measure(kind: str, seconds: float, connections: int, client: str) -> tuple[float, int]:
    """Sends per second against one server kind."""
    with server(kind) as url:
        check_answer(url)
        if client == "wrk":
            return run_wrk(url, seconds, connections)
        return asyncio.run(_httpx_load(url, seconds, connections))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--client", choices=("wrk", "httpx"), default=None)
    parser.add_argument("--serve-bare", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        serve_bare(args.serve_bare)
        return
    client = args.client or ("wrk" if shutil.which("wrk") else "httpx")
    fake, fake_bad = measure("fake", args.seconds, args.connections, client)
    bare, bare_bad = measure("bare", args.seconds, args.connections, client)
    print(describe())
    print(f"client: {client}, {args.connections} connections, {args.seconds:g} s each")
    print(f"fake Graph API (metasim graph serve): {fake:,.0f} sends/s ({fake_bad} non-2xx)")
    print(f"bare Starlette fixed JSON:            {bare:,.0f} req/s ({bare_bad} non-2xx)")
    print(f"ratio fake / bare: {fake / bare:.2f}")
    if client == "httpx":
        print(
            "note: the httpx client saturates long before either server; install wrk for "
            "figures that measure the servers (apt-get install wrk)"
        )


if __name__ == "__main__":
    main()
