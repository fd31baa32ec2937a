"""Starlette app factory: routes, and a lifespan running the inbox worker, the sender and the DLQ scheduler."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.routing import BaseRoute

from gateway.observability.logs import configure_logging, log_event
from gateway.observability.metrics import Metrics
from gateway.preflight import check
from gateway.routes.health import health_routes
from gateway.routes.metrics import metrics_routes
from gateway.routes.webhook import webhook_routes
from gateway.runtime import Runtime
from gateway.settings import ConfigError, Settings
from gateway.tenants import Tenants
from gateway.worker import InboxWorker

Background = Callable[[asyncio.Event], Coroutine[Any, Any, Any]]
STOP_GRACE_SECONDS = 10.0


def create_app(
    settings: Settings | None = None, *, http_client: httpx.AsyncClient | None = None
) -> Starlette:
    """The reference gateway wired from settings (env when None): store, Graph client, workers.

    ``http_client`` lets a test route the Graph API to the in-process fake (httpx transport).
    In ``prod`` the app refuses to start while preflight finds a problem (P0-04, P1-05).
    """
    from gateway.outbound.dlq_scheduler import DlqScheduler
    from gateway.outbound.graph_client import GraphClient
    from gateway.outbound.worker import OutboxWorker
    from gateway.routes.admin import admin_routes
    from gateway.routes.outbound_api import outbound_routes
    from gateway.store import open_store

    settings = settings if settings is not None else Settings.from_env()
    if settings.env == "prod":
        problems = check(settings)
        if problems:
            raise ConfigError(problems)
    tenants = Tenants.load(settings.clients_file)
    configure_logging(
        level=settings.log_level,
        log_file=settings.log_file,
        secrets=[*settings.secret_values(), *tenants.secret_values()],
    )
    own_http = http_client is None
    # one shared client: a keep-alive HTTP/1.1 pool sized for the outbox's sends in flight (plus
    # a few for media look-ups), so no send waits for a connection or opens a new one
    size = settings.outbox_concurrency + 4
    http = http_client or httpx.AsyncClient(
        timeout=settings.graph_timeout_seconds,
        limits=httpx.Limits(max_connections=size, max_keepalive_connections=size),
    )
    runtime = Runtime(
        settings=settings,
        store=open_store(settings.store_url),
        metrics=Metrics(),
        tenants=tenants,
        graph=GraphClient(http, settings.graph_timeout_seconds),
    )

    async def close_http() -> None:
        if own_http:
            await http.aclose()

    return build_app(
        runtime,
        extra_routes=[*admin_routes(runtime), *outbound_routes(runtime)],
        background=[OutboxWorker(runtime).run, DlqScheduler(runtime).run],
        on_close=[close_http],
    )


def build_app(
    runtime: Runtime,
    *,
    extra_routes: Sequence[BaseRoute] = (),
    background: Sequence[Background] = (),
    on_close: Sequence[Callable[[], Awaitable[None]]] = (),
) -> Starlette:
    """The app over an existing runtime: inbox worker always, plus ``background`` loops."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        stop = asyncio.Event()
        mode = runtime.settings.signature_mode
        if mode != "enforce":
            log_event(
                "WARNING",
                f"META_SIGNATURE_REQUIRED={mode}: unsigned or wrongly signed webhooks are "
                + (
                    "accepted without any check"
                    if mode == "off"
                    else "accepted (logged and counted)"
                )
                + "; set enforce in production",
                stage="startup",
                mode=mode,
            )
        log_event("INFO", "gateway started", stage="startup", env=runtime.settings.env, mode=mode)
        # before any worker claims: work a killed predecessor held comes back now, not when
        # its lease (30 s inbox) ends; the outbox worker's first recover then settles its sends
        released = await runtime.store.release_dead_leases()
        if released:
            log_event("WARNING", "released leases of a dead process", stage="startup",
                      released=released)  # fmt: skip
        loops = [InboxWorker(runtime).run, *background]
        tasks = [asyncio.create_task(loop(stop)) for loop in loops]
        try:
            yield
        finally:
            stop.set()
            _, pending = await asyncio.wait(tasks, timeout=STOP_GRACE_SECONDS)
            for task in pending:
                task.cancel()
            for close in on_close:
                await close()
            await runtime.store.close()
            log_event("INFO", "gateway stopped", stage="shutdown")

    routes = [
        *webhook_routes(runtime),
        *health_routes(runtime),
        *metrics_routes(runtime),
        *extra_routes,
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.runtime = runtime
    return app
