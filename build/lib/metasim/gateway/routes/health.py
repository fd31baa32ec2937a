"""GET /health (liveness, 200 ``OK``, P1-04) and GET /ready (store reachable and worker alive)."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from metasim.gateway.runtime import Runtime
from metasim.gateway.worker import NAME as INBOX_WORKER

PING_TIMEOUT = 2.0


def health_routes(runtime: Runtime) -> list[Route]:
    """/health and /ready."""

    async def health(request: Request) -> Response:
        return PlainTextResponse("OK")

    async def ready(request: Request) -> Response:
        reasons = []
        try:
            store_ok = await asyncio.wait_for(runtime.store.ping(), PING_TIMEOUT)
        except Exception as exc:
            store_ok = False
            reasons.append(f"store unreachable: {type(exc).__name__}")
        else:
            if not store_ok:
                reasons.append("store unreachable: ping failed")
        # a stale heartbeat means the worker loop is stuck or dead
        max_age = runtime.health.max_age(runtime.settings)
        if not runtime.health.alive(INBOX_WORKER, runtime.clock(), max_age):
            reasons.append("inbox worker not running")
        if reasons:
            return JSONResponse({"ready": False, "reasons": reasons}, status_code=503)
        return JSONResponse({"ready": True})

    return [Route("/health", health, methods=["GET"]), Route("/ready", ready, methods=["GET"])]
