"""A restartable Redis-protocol server (valkey-server) whose data survives a SIGKILL."""

from __future__ import annotations

import os
from pathlib import Path

from metasim.simulator.load.redis_server import server_binary
from metasim.simulator.load.stack import _Proc
from metasim.simulator.net import free_port


def persistent_redis(workdir: Path) -> _Proc:
    """valkey-server (or redis-server) on a fixed 127.0.0.1 port, restartable on the same data.

    ``appendonly yes`` with ``appendfsync always``: every write the gateway saw succeed is on disk
    before Redis answers, so even a SIGKILL loses nothing the gateway acknowledged to Meta
    (``everysec``, Redis's default, could lose the last second of ACKed webhooks). Not started:
    call ``.start()``; ``.kill()`` is a SIGKILL, ``.stop()`` a clean shutdown.
    """
    port = free_port()
    argv = [server_binary(), "--bind", "127.0.0.1", "--port", str(port)]
    argv += ["--dir", str(workdir), "--protected-mode", "yes"]
    argv += ["--appendonly", "yes", "--appendfsync", "always", "--save", "60 1"]
    return _Proc("Redis", argv, os.environ, workdir / "redis.log")


def redis_url(redis: _Proc) -> str:
    return f"redis://127.0.0.1:{redis.port}/0"
