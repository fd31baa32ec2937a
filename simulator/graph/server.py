"""Serve the fake Graph API over real HTTP: blocking (the CLI) or on a background thread (tests).

``ServerThread`` is the one uvicorn-on-a-thread helper of the project: the harness serves the
fake with it, and tests serve their own small ASGI apps (a webhook receiver) with it too.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import uvicorn

from metasim.simulator.graph.app import GraphApp
from metasim.simulator.net import free_port


def uvicorn_config(
    app: GraphApp | Any, host: str, port: int, log_level: str = "warning"
) -> uvicorn.Config:
    """uvicorn settings for the fake (or any ASGI app): httptools + uvloop when installed, no
    access log (speed), short graceful shutdown so held no-answer requests never block a stop.

    The fake's lifespan must run (a failed startup is an error); another app's runs if it has one.
    """
    fake = isinstance(app, GraphApp)
    return uvicorn.Config(
        app.asgi if fake else app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        lifespan="on" if fake else "auto",
        interface="asgi3",
        timeout_graceful_shutdown=1,
    )


def serve(
    app: GraphApp, host: str = "127.0.0.1", port: int = 8089, log_level: str = "info"
) -> None:
    """Run until interrupted (Ctrl-C)."""
    uvicorn.Server(uvicorn_config(app, host, port, log_level)).run()


class ServerThread:
    """An ASGI app on a real socket in this process, in a daemon thread with its own event loop:
    ``with ServerThread(app) as url: ...``. ``app`` is the fake (a ``GraphApp``) or any ASGI
    app; ``port`` None picks a free one."""

    def __init__(
        self, app: GraphApp | Any, port: int | None = None, host: str = "127.0.0.1"
    ) -> None:
        self.app = app
        self.host = host
        self.port = free_port() if port is None else port
        self.url = f"http://{host}:{self.port}"
        self._server = uvicorn.Server(uvicorn_config(app, host, self.port))
        name = "metasim-graph" if isinstance(app, GraphApp) else f"uvicorn-{self.port}"
        self._thread = threading.Thread(target=self._server.run, name=name, daemon=True)

    def start(self, timeout: float = 15.0) -> str:
        """Start serving; returns the base URL once the socket listens."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start on {self.url}")
            time.sleep(0.01)
        return self.url

    def stop(self) -> None:
        """Ask uvicorn to exit and wait for the thread."""
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
