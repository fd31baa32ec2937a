"""A server in a child process: started, waited for, stopped with everything it started.

``ServerProcess`` is the one process launcher of the project: the harness starts a target's
gateway with it (``steps.targets.servers.GatewayProcess``), the load stack its fake Graph API and
gateways, and tests their servers. The child runs in a process group of its own, so a stop
also ends what it started (a worker child, n8n's task runner) instead of orphaning it; its
output goes to a file (read back by ``tail`` when it fails to start) or is discarded.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO

import httpx

from metasim.simulator.net import wait_listening


class ServerStartError(RuntimeError):
    """The server exited or never became ready; the message carries its output's tail."""


class ServerProcess:
    """``argv`` as a server: ``with ServerProcess(argv, port=p) as server: ...``.

    ``env`` is the whole environment (default: this process's); ``output`` a file the child's
    stdout and stderr are appended to (None: discarded); ``stop_grace`` the seconds between
    SIGTERM and SIGKILL. Ready means 127.0.0.1:``port`` accepts connections, or ``ready()``
    says so; ``start`` raises ServerStartError naming the process if it dies first.
    """

    def __init__(
        self,
        argv: Sequence[str],
        *,
        port: int | None = None,
        env: Mapping[str, str] | None = None,
        cwd: str | Path | None = None,
        output: Path | None = None,
        stop_grace: float = 10.0,
        name: str = "server",
    ) -> None:
        self.argv = [str(a) for a in argv]
        self.port = port
        self.env = dict(os.environ if env is None else env)
        self.cwd = cwd
        self.output = output
        self.stop_grace = stop_grace
        self.name = name
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None, f"{self.name} was not started"
        return self.proc.pid

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def spawn(self) -> subprocess.Popen[bytes]:
        """Start the child without waiting for it (``start`` waits)."""
        handle: IO[bytes] | int = subprocess.DEVNULL
        if self.output is not None:
            handle = self.output.open("ab")
        try:
            self.proc = subprocess.Popen(
                self.argv,
                env=self.env,
                cwd=self.cwd,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            if not isinstance(handle, int):
                handle.close()  # the child holds its own copy
        return self.proc

    def died(self) -> str | None:
        """Why the child is gone (exit code and output tail), or None while it runs."""
        if self.proc is None or self.proc.poll() is None:
            return None
        return f"{self.name} exited with code {self.proc.returncode}: {' '.join(self.argv)}\n" + (
            self.tail()
        )

    def start(
        self, ready: Callable[[], bool] | None = None, *, timeout: float = 15.0, probe: str = ""
    ) -> ServerProcess:
        """Spawn and wait until the port listens and ``ready()`` (if given) is true.

        Errors ``ready`` raises (connection refused while the server starts) count as not yet.
        """
        self.spawn()
        deadline = time.monotonic() + timeout
        try:
            if self.port is not None:
                wait_listening(self.port, timeout, died=self.died)
            while ready is not None:
                if why := self.died():
                    raise ServerStartError(why)
                with contextlib.suppress(OSError, httpx.HTTPError):
                    if ready():
                        break
                if time.monotonic() > deadline:
                    raise TimeoutError(f"not ready after {timeout} s ({probe or 'ready probe'})")
                time.sleep(0.05)
        except (TimeoutError, RuntimeError) as exc:
            why = self.died()  # an exit says more than the wait that noticed it
            self.stop()
            if why is not None:
                raise ServerStartError(why) from None
            raise ServerStartError(f"{self.name}: {exc}\n{self.tail()}") from None
        return self

    def tail(self, lines: int = 30) -> str:
        """The last lines of the output file ("" without one)."""
        if self.output is None or not self.output.exists():
            return ""
        return "\n".join(self.output.read_text("utf-8", "replace").splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM to the process group, SIGKILL to it after ``stop_grace`` seconds."""
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        self._signal(signal.SIGTERM)
        try:
            proc.wait(self.stop_grace)
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGKILL)
            proc.wait(5)
        # the leader is gone; anything it left in its group goes too
        self._signal(signal.SIGKILL)

    def kill(self) -> None:
        """SIGKILL to the child alone: no shutdown hook runs (a crash). What it started is left
        to its own fate (a gateway's worker must notice its parent died: that is tested)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def _signal(self, sig: signal.Signals) -> None:
        assert self.proc is not None
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, sig)

    def __enter__(self) -> ServerProcess:
        return self.start() if self.proc is None else self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
