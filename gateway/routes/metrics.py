"""GET /metrics: the Prometheus text exposition, queue depths read fresh from the store (P2-03)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from metasim.gateway.observability.logs import log_exception
from metasim.gateway.routes.health import worker_state
from metasim.gateway.runtime import Runtime


def metrics_routes(runtime: Runtime) -> list[Route]:
    """/metrics."""

    async def metrics(request: Request) -> Response:
        # a store outage must not hide the counters: the depths keep their last value, and
        # the log says the gauges are stale (one line per scrape while it lasts)
        try:
            await runtime.metrics.refresh_depths(runtime.store)
        except Exception as exc:
            log_exception("WARNING", f"queue depths not refreshed: {type(exc).__name__}: {exc}",
                          exc, stage="metrics")  # fmt: skip
        worker_state(runtime)  # sets worker_alive where the worker's heartbeats are seen
        return Response(runtime.metrics.render(), media_type=runtime.metrics.content_type)

    return [Route("/metrics", metrics, methods=["GET"])]
