"""The command tables of a target file: [start], [preflight], [backup]."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from metasim.steps.targets.model import Backup, Start


@dataclass(frozen=True)
class ReadyProbe:
    """How the harness tells a started gateway is ready to take webhooks.

    ``handshake``: Meta's GET verification on the first webhook answers the challenge (works for
    a gateway that serves nothing but its webhook routes; needs a verify token); ``http``: GET
    ``path`` (placeholders allowed, ``{verify_token}`` too) answers one of ``status`` and, when
    ``body`` is set, contains it (an engine answering 200 "starting up" is not ready); ``tcp``:
    the port accepts a connection.
    """

    kind: str = "handshake"
    path: str = ""
    status: tuple[int, ...] = (200,)
    body: str = ""


@dataclass(frozen=True)
class StartSpec:
    """How the harness starts (and restarts) the gateway: argv, env, readiness probe."""

    command: tuple[str, ...]
    env: Mapping[str, str]
    cwd: str = "."
    ready: ReadyProbe = ReadyProbe()
    timeout: float = 30.0
    inherit_env: bool = True
    # how long a stopped gateway gets to exit before its process group is killed (n8n: 30 s)
    stop_grace: float = 10.0


@dataclass(frozen=True)
class BackupSpec:
    """The backup command (run with the start env), the snapshot folder and file name pattern."""

    command: tuple[str, ...]
    dir: str
    name: str  # "{stamp}" = UTC time as %Y%m%dT%H%M%SZ, e.g. "gateway-{stamp}.sqlite"


def start_spec(start: Start | None) -> StartSpec | None:
    """The validated [start] table as the runner's StartSpec."""
    if start is None:
        return None
    return StartSpec(
        command=tuple(start.command),
        env=dict(start.env),
        cwd=start.cwd,
        ready=_probe(start),
        timeout=start.timeout,
        inherit_env=start.inherit_env,
        stop_grace=start.stop_grace,
    )


def _probe(start: Start) -> ReadyProbe:
    # ready_path = "/health" is the short form of [start.ready] kind = "http", path = "/health"
    if start.ready_path is not None:
        return ReadyProbe("http", start.ready_path)
    ready = start.ready
    if ready is None:
        return ReadyProbe()
    kind = ready.kind or ("http" if ready.path is not None else "handshake")
    return ReadyProbe(kind, ready.path or "", tuple(ready.status), ready.body)


def backup_spec(backup: Backup | None) -> BackupSpec | None:
    """The validated [backup] table as the runner's BackupSpec."""
    if backup is None:
        return None
    return BackupSpec(tuple(backup.command), backup.dir, backup.name)
