"""The gateway subprocess the harness runs (the fake Graph API's thread: simulator.graph.server)."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from metasim.simulator.process import ServerProcess, ServerStartError


class GatewayStartError(ServerStartError):
    """The gateway process exited or never became ready; carries its output's tail."""


class GatewayProcess(ServerProcess):
    """A gateway started from a target file's ``[start]`` command, output kept in a file.

    The project's one launcher (simulator.process.ServerProcess): it runs in a process group of
    its own, so stopping it also stops what it started (n8n's task runner, a worker child)
    instead of orphaning them. ``env`` is added to this process's (``inherit_env``) or is all.
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
        super().__init__(
            command,
            env={**(os.environ if inherit_env else {}), **env},
            cwd=cwd,
            output=output,
            stop_grace=stop_grace,
            name="gateway",
        )
        self.command = self.argv

    def start(  # type: ignore[override]
        self, ready: Callable[[], bool], timeout: float, probe: str
    ) -> GatewayProcess:
        """Spawn and call ``ready`` until it says yes (or the process dies, or ``timeout``)."""
        try:
            super().start(ready, timeout=timeout, probe=probe)
        except ServerStartError as exc:
            raise GatewayStartError(str(exc)) from None
        return self
