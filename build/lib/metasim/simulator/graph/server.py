"""Serve the fake Graph API over real HTTP: blocking (the CLI) or on a background thread (tests)."""

from __future__ import annotations

import threading
import time

import uvicorn

from metasim.simulator.graph.app import GraphApp


def uvicorn_config(
    app: GraphApp, host: str, port: int, log_level: str = "warning"
) -> uvicorn.Config:
    """uvicorn settings for the fake: httptools + uvloop when installed, no access log (speed),
    short graceful shutdown so held no-answer requests never block a stop."""
    return uvicorn.Config(
        app.asgi,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        lifespan="on",
        interface="asgi3",
        timeout_graceful_shutdown=1,
    )


def serve(
    app: GraphApp, host: str = "127.0.0.1", port: int = 8089, log_level: str = "info"
) -> None:
    """Run until interrupted (Ctrl-C)."""
    uvicorn.Server(uvicorn_config(app, host, port, log_level)).run()


class ServerThread:
    """The fake on a real socket in this process: ``with ServerThread(app, port) as url: ...``."""

    def __init__(self, app: GraphApp, port: int, host: str = "127.0.0.1") -> None:
        self.app = app
        self.url = f"http://{host}:{port}"
        self._server = uvicorn.Server(uvicorn_config(app, host, port))
        self._thread = threading.Thread(target=self._server.run, name="metasim-graph", daemon=True)

    def start(self, timeout: float = 10.0) -> str:
        """Start serving; returns the base URL once the socket listens."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the fake Graph API did not start on {self.url}")
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
