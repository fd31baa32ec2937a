"""GET /health (liveness, 200 ``OK``, P1-04) and GET /ready (the store answers; the worker is
reported, never required: a crash-looping worker must not take the ACK path out of rotation)."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from metasim.gateway.runtime import Runtime
from metasim.gateway.worker import NAME as INBOX_WORKER

PING_TIMEOUT = 2.0


def health_routes(runtime: Runtime) -> list[Route]:
    """/health and /ready of the process that ACKs webhooks."""

    async def health(request: Request) -> Response:
        return PlainTextResponse("OK")

    async def ready(request: Request) -> Response:
        reasons = await store_reasons(runtime)
        body: dict[str, object] = {"ready": not reasons, "worker": worker_state(runtime)}
        if reasons:
            return JSONResponse({**body, "reasons": reasons}, status_code=503)
        return JSONResponse(body)

    return [Route("/health", health, methods=["GET"]), Route("/ready", ready, methods=["GET"])]


def worker_state(runtime: Runtime) -> str:
    """``alive`` / ``down`` from the inbox worker's heartbeat (a stale one = stuck or dead), or
    ``separate`` when it runs as its own process (its own probe port says how it is)."""
    if runtime.health.elsewhere:
        return "separate"
    alive = runtime.health.alive(
        INBOX_WORKER, runtime.clock(), runtime.health.max_age(runtime.settings)
    )
    runtime.metrics.worker_alive.set(1 if alive else 0)
    return "alive" if alive else "down"


async def store_reasons(runtime: Runtime) -> list[str]:
    """Why the store cannot take writes now (empty: it answers its ping in time)."""
    try:
        ok = await asyncio.wait_for(runtime.store.ping(), PING_TIMEOUT)
    except Exception as exc:
        return [f"store unreachable: {type(exc).__name__}"]
    return [] if ok else ["store unreachable: ping failed"]
