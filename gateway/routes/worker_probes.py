"""The probe port of a worker run alone (``metasim-gateway worker --port``): its own health."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from metasim.gateway.routes.health import store_reasons
from metasim.gateway.runtime import Runtime

# the loops a worker process runs that beat (the retention sweep runs rarely and does not)
BEATING = ("inbox-worker", "outbox-worker", "dlq-scheduler")


def worker_probe_routes(runtime: Runtime) -> list[Route]:
    """/health (every loop beats: restart me if not), /ready (and the store answers)."""

    def stale() -> list[str]:
        max_age = runtime.health.max_age(runtime.settings)
        now = runtime.clock()
        down = [name for name in BEATING if not runtime.health.alive(name, now, max_age)]
        runtime.metrics.worker_alive.set(0 if "inbox-worker" in down else 1)
        return down

    async def health(request: Request) -> Response:
        # liveness: a loop that stopped beating is stuck or dead, which only a restart fixes
        down = stale()
        if down:
            return JSONResponse({"alive": False, "stale": down}, status_code=503)
        return PlainTextResponse("OK")

    async def ready(request: Request) -> Response:
        reasons = [f"{name} not running" for name in stale()] + await store_reasons(runtime)
        if reasons:
            return JSONResponse({"ready": False, "reasons": reasons}, status_code=503)
        return JSONResponse({"ready": True})

    return [Route("/health", health, methods=["GET"]), Route("/ready", ready, methods=["GET"])]
