"""Graph sends per CPU second: the gateway's GraphClient over aiohttp vs over httpx's own pool.

Run: ``.venv/bin/python -m bench.bench_graph_client [--sends 4000]`` (a few seconds). One server
(a bare Starlette route answering a WhatsApp send's JSON, in its own process) takes the sends of
both transports in the same run, 32 in flight as the outbox keeps them; the figure is the
client process's CPU time per send (``time.process_time``), so the server's cost is left out.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from bench.bench_gateway import process
from bench.machine import describe
from metasim.gateway.outbound.aiohttp_transport import AiohttpTransport
from metasim.gateway.outbound.graph_client import GraphClient
from metasim.simulator.net import free_port

IN_FLIGHT = 32
BODY = {"messaging_product": "whatsapp", "to": "33612345678", "type": "text",
        "text": {"body": "bench reply"}}  # fmt: skip
SERVER = """
import sys, uvicorn
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route
ANSWER = (b'{"messaging_product":"whatsapp","contacts":[{"input":"33612345678",'
          b'"wa_id":"33612345678"}],"messages":[{"id":"wamid.BENCH"}]}')
async def send(request):
    await request.body()
    return Response(ANSWER, media_type="application/json")
app = Starlette(routes=[Route("/v25.0/{phone}/messages", send, methods=["POST"])])
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
"""


@contextmanager
def server() -> Iterator[str]:
    port = free_port()
    with process([sys.executable, "-c", SERVER, str(port)], port) as base:
        yield f"{base}/v25.0/106540352242922/messages"


def transport(kind: str) -> httpx.AsyncBaseTransport:
    size = IN_FLIGHT + 4  # as gateway.app sizes the pool for OUTBOX_CONCURRENCY
    if kind == "aiohttp":
        return AiohttpTransport(max_connections=size)
    limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
    return httpx.AsyncHTTPTransport(limits=limits)


async def measure(kind: str, url: str, sends: int) -> tuple[float, float]:
    """(CPU µs per send, sends per wall second) for ``sends`` sends after a warm-up."""
    graph = GraphClient(transport(kind), timeout=10)
    slots = asyncio.Semaphore(IN_FLIGHT)

    async def one() -> None:
        async with slots:
            answer = await graph.send(url, BODY, "bench-token")
            if answer.status != 200:
                raise SystemExit(f"{kind}: the server answered {answer.status} {answer.body}")

    try:
        await asyncio.gather(*(one() for _ in range(200)))  # warm the pool
        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.gather(*(one() for _ in range(sends)))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    finally:
        await graph.aclose()
    return cpu / sends * 1e6, sends / wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sends", type=int, default=4000)
    args = parser.parse_args()
    import uvloop

    print(describe())
    with server() as url:
        results = {k: uvloop.run(measure(k, url, args.sends)) for k in ("httpx", "aiohttp")}
    for kind, (cpu, rate) in results.items():
        print(f"  {kind:8} {cpu:7.0f} µs CPU per send, {rate:6.0f} sends/s ({IN_FLIGHT} in flight)")
    ratio = results["httpx"][0] / results["aiohttp"][0]
    print(f"  CPU per send, httpx / aiohttp: {ratio:.1f}x")


if __name__ == "__main__":
    main()
