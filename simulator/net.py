"""Loopback helpers: a free port on 127.0.0.1, and waiting until a server listens there."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_listening(
    port: int, timeout: float = 15.0, *, died: Callable[[], str | None] | None = None
) -> None:
    """Block until 127.0.0.1:port accepts connections, or raise TimeoutError.

    ``died`` is asked between attempts; a message from it (the server's process exited) ends
    the wait at once with RuntimeError, instead of waiting out the timeout.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if died is not None and (why := died()):
            raise RuntimeError(why)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")
