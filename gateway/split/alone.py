"""The worker run alone (``metasim-gateway worker``): its loops on the shared store, for a
platform (systemd, a container runtime) to supervise apart from the HTTP process."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Iterator

import uvicorn
from starlette.applications import Starlette

from metasim.gateway.app import build_runtime, start_loops, stop_loops, worker_loops
from metasim.gateway.observability.logs import log_event
from metasim.gateway.routes.admin import admin_routes
from metasim.gateway.routes.metrics import metrics_routes
from metasim.gateway.routes.worker_probes import worker_probe_routes
from metasim.gateway.runtime import Runtime
from metasim.gateway.settings import Settings

# what the worker answers on its probe port besides /health, /ready, /metrics: the admin
# questions about what only it holds in memory
WORKER_ADMIN_PATHS = ("/admin/envelopes", "/admin/probes/tamper-seal")


class _ProbeServer(uvicorn.Server):
    """uvicorn without its signal handlers: the worker's own stop it and the loops together."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def probe_app(runtime: Runtime) -> Starlette:
    """/health, /ready, /metrics and the worker-side admin questions of one worker process."""
    admin = [r for r in admin_routes(runtime) if getattr(r, "path", "") in WORKER_ADMIN_PATHS]
    return Starlette(routes=[*worker_probe_routes(runtime), *metrics_routes(runtime), *admin])


async def serve_worker(settings: Settings, host: str, port: int | None) -> None:
    """Run the inbox worker, sender, DLQ schedule and retention sweep until SIGTERM / SIGINT."""
    runtime, close_http = build_runtime(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    # the same start as a supervised child: leases of a killed predecessor come back first
    tasks = await start_loops(runtime, worker_loops(runtime), stop)
    server: _ProbeServer | None = None
    serving: asyncio.Task[None] | None = None
    if port is not None:
        config = uvicorn.Config(probe_app(runtime), host=host, port=port, lifespan="off",
                                access_log=False, log_level="warning", log_config=None)  # fmt: skip
        server = _ProbeServer(config)
        serving = asyncio.create_task(server.serve())
    log_event("INFO", "worker started", stage="startup", probe_port=port, env=settings.env)
    try:
        await stop.wait()
    finally:
        await stop_loops(tasks, stop)  # the sends in flight finish (up to the grace)
        if server is not None and serving is not None:
            server.should_exit = True
            await serving
        await close_http()
        await runtime.store.close()
        log_event("INFO", "worker stopped", stage="shutdown")


def run(settings: Settings, host: str, port: int | None) -> None:
    """``serve_worker`` on uvloop when present (as uvicorn[standard] runs the HTTP process)."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(serve_worker(settings, host, port))
    else:
        uvloop.run(serve_worker(settings, host, port))
