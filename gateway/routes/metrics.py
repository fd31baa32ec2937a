"""GET /metrics: the Prometheus text exposition, queue depths read fresh from the store (P2-03)."""

from __future__ import annotations

import contextlib

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.runtime import Runtime


def metrics_routes(runtime: Runtime) -> list[Route]:
    """/metrics."""

    async def metrics(request: Request) -> Response:
        # a store outage must not hide the counters: the depths keep their last value
        with contextlib.suppress(Exception):
            await runtime.metrics.refresh_depths(runtime.store)
        return Response(runtime.metrics.render(), media_type=runtime.metrics.content_type)

    return [Route("/metrics", metrics, methods=["GET"])]
