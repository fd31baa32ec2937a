"""The gateway subprocess the harness runs (the fake Graph API's thread: simulator.graph.server)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import httpx


class GatewayStartError(RuntimeError):
    """The gateway process exited or never became ready; carries its output's tail."""


class GatewayProcess:
    """A gateway started from a target file's ``[start]`` command, output kept in a file.

    It runs in a process group of its own, so stopping it also stops what it started (n8n's
    task runner, a worker child) instead of orphaning them.
    """

    def __init__(
        self,
        command: Sequence[str],
        env: Mapping[str, str],
        cwd: str,
        output: Path,
        *,
        inherit_env: bool = True,
        stop_grace: float = 10.0,
    ) -> None:
        self.command = list(command)
        self.env = {**(os.environ if inherit_env else {}), **env}
        self.cwd = cwd
        self.output = output
        self.stop_grace = stop_grace
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, ready: Callable[[], bool], timeout: float, probe: str) -> None:
        """Spawn and call ``ready`` until it says yes (or the process dies, or ``timeout``)."""
        handle = self.output.open("ab")
        self.proc = subprocess.Popen(
            self.command,
            env=self.env,
            cwd=self.cwd,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        handle.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise GatewayStartError(
                    f"gateway exited with code {self.proc.returncode}: {' '.join(self.command)}\n"
                    + self.tail()
                )
            try:
                if ready():
                    return
            except (httpx.HTTPError, OSError):
                pass
            time.sleep(0.05)
        self.stop()
        raise GatewayStartError(f"gateway not ready after {timeout} s ({probe})\n" + self.tail())

    def tail(self, lines: int = 30) -> str:
        """The last lines of the process output."""
        if not self.output.exists():
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

    def _signal(self, sig: signal.Signals) -> None:
        assert self.proc is not None
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, sig)
