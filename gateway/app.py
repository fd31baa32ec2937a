"""Starlette app factory: routes, and a lifespan running the inbox worker, the sender and the DLQ scheduler."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.routing import BaseRoute

from metasim.gateway.observability.logs import configure_logging, log_event
from metasim.gateway.observability.metrics import Metrics
from metasim.gateway.preflight import check
from metasim.gateway.routes.health import health_routes
from metasim.gateway.routes.metrics import metrics_routes
from metasim.gateway.routes.webhook import GatewayApp, webhook_routes
from metasim.gateway.runtime import Runtime
from metasim.gateway.settings import ConfigError, Settings
from metasim.gateway.tenants import Tenants
from metasim.gateway.worker import InboxWorker

Background = Callable[[asyncio.Event], Coroutine[Any, Any, Any]]
STOP_GRACE_SECONDS = 10.0


def create_app(
    settings: Settings | None = None,
    *,
    graph_transport: httpx.AsyncBaseTransport | None = None,
    worker_process: bool = False,
    http_only: bool = False,
) -> Starlette:
    """The reference gateway wired from settings (env when None): store, Graph client, workers.

    ``graph_transport`` lets a test route the Graph API to the in-process fake
    (``httpx.ASGITransport``); the app then leaves closing it to the caller.
    ``worker_process`` (what ``metasim-gateway serve`` asks for by default) runs the workers
    in a supervised child process instead of this event loop (metasim.gateway.split).
    ``http_only`` (``metasim-gateway http``) runs no worker at all: ``metasim-gateway worker``
    runs it as a process of its own on the same store, supervised by the platform.
    In ``prod`` the app refuses to start while preflight finds a problem (P0-04, P1-05).
    """
    from metasim.gateway.routes.admin import admin_routes
    from metasim.gateway.routes.outbound_api import outbound_routes

    settings = settings if settings is not None else Settings.from_env()
    if settings.env == "prod":
        problems = check(settings)
        if problems:
            raise ConfigError(problems)
    runtime, close_http = build_runtime(settings, graph_transport)
    routes = [*admin_routes(runtime), *outbound_routes(runtime)]
    if http_only:
        from metasim.gateway.split.separate import SeparateWorker

        runtime.link = SeparateWorker()
        runtime.health.elsewhere = True
        return build_app(runtime, extra_routes=routes, on_close=[close_http], inline_workers=False)
    if worker_process:
        from metasim.gateway.split.supervisor import SUPERVISOR_STOP_SECONDS, Supervisor

        supervisor = Supervisor(runtime)
        runtime.link = supervisor
        return build_app(
            runtime,
            extra_routes=routes,
            background=[supervisor.run],
            on_close=[close_http],
            inline_workers=False,
            on_start=[supervisor.started],
            stop_grace=SUPERVISOR_STOP_SECONDS,
        )
    return build_app(
        runtime, extra_routes=routes, background=sender_loops(runtime), on_close=[close_http]
    )


def build_runtime(
    settings: Settings, graph_transport: httpx.AsyncBaseTransport | None = None
) -> tuple[Runtime, Callable[[], Awaitable[None]]]:
    """Tenants, logging, store and Graph client from settings; and how to close the client."""
    from metasim.gateway.outbound.aiohttp_transport import AiohttpTransport
    from metasim.gateway.outbound.graph_client import GraphClient
    from metasim.gateway.store import open_store

    tenants = Tenants.load(settings.clients_file)
    configure_logging(
        level=settings.log_level,
        log_file=settings.log_file,
        secrets=[*settings.secret_values(), *tenants.secret_values()],
    )
    own_transport = graph_transport is None
    # one shared keep-alive HTTP/1.1 pool sized for the outbox's sends in flight (plus a few
    # for media look-ups), so no send waits for a connection or opens a new one
    size = settings.outbox_concurrency + 4
    transport = graph_transport or AiohttpTransport(max_connections=size)
    graph = GraphClient(transport, settings.graph_timeout_seconds)
    runtime = Runtime(
        settings=settings,
        store=open_store(settings.store_url, retention=settings.retention()),
        metrics=Metrics(),
        tenants=tenants,
        graph=graph,
    )

    async def close_http() -> None:
        if own_transport:
            await graph.aclose()

    return runtime, close_http


def sender_loops(runtime: Runtime) -> list[Background]:
    """The send side's loops: the outbox sender, the DLQ schedule and the retention sweep."""
    from metasim.gateway.outbound.dlq_scheduler import DlqScheduler
    from metasim.gateway.outbound.worker import OutboxWorker
    from metasim.gateway.retention import RetentionSweeper

    return [
        OutboxWorker(runtime).run,
        DlqScheduler.from_runtime(runtime).run,
        RetentionSweeper.from_runtime(runtime).run,
    ]


def worker_loops(runtime: Runtime) -> list[Background]:
    """Every background loop of the processing side: inbox worker, sender, DLQ schedule."""
    return [InboxWorker(runtime).run, *sender_loops(runtime)]


async def start_loops(
    runtime: Runtime, loops: Sequence[Background], stop: asyncio.Event
) -> list[asyncio.Task[Any]]:
    """Release a killed predecessor's leases, then start ``loops`` (they end when ``stop`` is set)."""
    # before any worker claims: work a killed predecessor held comes back now, not when
    # its lease (30 s inbox) ends; the outbox worker's first recover then settles its sends
    released = await runtime.store.release_dead_leases()
    if released:
        log_event("WARNING", "released leases of a dead process", stage="startup",
                  released=released)  # fmt: skip
    return [asyncio.create_task(loop(stop)) for loop in loops]


async def stop_loops(
    tasks: Sequence[asyncio.Task[Any]], stop: asyncio.Event, grace: float = STOP_GRACE_SECONDS
) -> None:
    """Set ``stop`` and give the loops ``grace`` seconds to finish what they hold."""
    stop.set()
    if not tasks:
        return
    _, pending = await asyncio.wait(tasks, timeout=grace)
    for task in pending:
        task.cancel()


def build_app(
    runtime: Runtime,
    *,
    extra_routes: Sequence[BaseRoute] = (),
    background: Sequence[Background] = (),
    on_close: Sequence[Callable[[], Awaitable[None]]] = (),
    inline_workers: bool = True,
    on_start: Sequence[Callable[[], Awaitable[None]]] = (),
    stop_grace: float = STOP_GRACE_SECONDS,  # worker process mode: the supervisor's, longer
) -> Starlette:
    """The app over an existing runtime: ``background`` loops, after an inbox worker when
    ``inline_workers`` (in worker process mode the child runs it, and releases leases)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        stop = asyncio.Event()
        mode, env = runtime.settings.signature_mode, runtime.settings.env
        if mode != "enforce":  # said at every start, so no deploy hides it
            log_event(
                "WARNING",
                f"META_SIGNATURE_REQUIRED={mode}"
                + (" in prod" if env == "prod" else "")
                + ": unsigned or wrongly signed webhooks are "
                + (
                    "accepted without any check"
                    if mode == "off"
                    else "accepted and answered (logged and counted)"
                )
                + "; set enforce in production",
                stage="startup",
                mode=mode,
                env=env,
            )
        log_event("INFO", "gateway started", stage="startup", env=runtime.settings.env, mode=mode)
        if inline_workers:
            tasks = await start_loops(runtime, [InboxWorker(runtime).run, *background], stop)
        else:
            tasks = [asyncio.create_task(loop(stop)) for loop in background]
        for started in on_start:
            await started()
        try:
            yield
        finally:
            # in worker process mode the one loop here is the supervisor, which must outlast
            # the child's own grace (its sends in flight), or the child dies with us mid-send
            await stop_loops(tasks, stop, stop_grace)
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
    app = GatewayApp(routes=routes, lifespan=lifespan)
    app.state.runtime = runtime
    return app
