"""A restartable Redis-protocol server (valkey-server) whose data survives a SIGKILL."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

from tests.gateway.store.redis_server import server_binary
from tests.support.net import free_port, wait_listening


class PersistentRedis:
    """valkey-server (or redis-server) on a fixed 127.0.0.1 port, restartable on the same data.

    ``appendonly yes`` with ``appendfsync always``: every write the gateway saw succeed is on disk
    before Redis answers, so even a SIGKILL loses nothing the gateway acknowledged to Meta
    (``everysec``, Redis's default, could lose the last second of ACKed webhooks).
    """

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.restarts = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = [server_binary(), "--bind", "127.0.0.1", "--port", str(self.port)]
        args += ["--dir", str(self.workdir), "--protected-mode", "yes"]
        args += ["--appendonly", "yes", "--appendfsync", "always", "--save", "60 1"]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_listening(self.port, timeout=20)
        except TimeoutError:
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError(
                f"Redis did not listen on 127.0.0.1:{self.port} within 20 s "
                f"(binary {args[0]}, data in {self.workdir})"
            ) from None

    def kill(self) -> None:
        """SIGKILL: no shutdown save; only the append-only file brings the data back."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def restart(self) -> None:
        self.kill()
        self.start()
        self.restarts += 1

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> PersistentRedis:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
