"""The command tables of a target file: [start], [preflight], [backup]."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from metasim.steps.targets.tables import string, table

PROBE_KINDS = ("handshake", "http", "tcp")


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


def start_spec(raw: Mapping[str, Any], p: list[str]) -> StartSpec | None:
    if "start" not in raw:
        return None
    section = table(raw, "start", p)
    command = section.get("command")
    if not (isinstance(command, list) and command and all(isinstance(c, str) for c in command)):
        p.append(
            '[start] command must be a non-empty list of strings, e.g. ["{python}", "-m", "x"]'
        )
        command = ["?"]
    env = section.get("env", {})
    if not isinstance(env, dict):
        p.append('[start.env] must be a table of NAME = "value"')
        env = {}
    timeout = _positive(section, "timeout", 30.0, p)
    grace = _positive(section, "stop_grace", 10.0, p)
    return StartSpec(
        command=tuple(command),
        env={str(k): str(v) for k, v in env.items()},
        cwd=str(section.get("cwd", ".")),
        ready=_probe(section, p),
        timeout=timeout,
        inherit_env=bool(section.get("inherit_env", True)),
        stop_grace=grace,
    )


def _positive(section: Mapping[str, Any], key: str, default: float, p: list[str]) -> float:
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        p.append(f"[start] {key} = {value!r} must be a number of seconds > 0")
        return default
    return float(value)


def _probe(section: Mapping[str, Any], p: list[str]) -> ReadyProbe:
    # ready_path = "/health" is the short form of [start.ready] kind = "http", path = "/health"
    if "ready_path" in section and "ready" in section:
        p.append("[start] give ready_path or [start.ready], not both")
    if "ready_path" in section:
        return ReadyProbe("http", str(section["ready_path"]))
    raw = section.get("ready", {})
    if not isinstance(raw, dict):
        p.append('[start.ready] must be a table: kind = "handshake" | "http" | "tcp", ...')
        return ReadyProbe()
    for extra in sorted(set(raw) - {"kind", "path", "status", "body"}):
        p.append(f"[start.ready] unknown key {extra!r}; allowed: kind, path, status, body")
    kind = str(raw.get("kind", "http" if "path" in raw else "handshake"))
    if kind not in PROBE_KINDS:
        p.append(f"[start.ready] kind = {kind!r}; use one of {', '.join(PROBE_KINDS)}")
        kind = "handshake"
    if kind == "http" and not isinstance(raw.get("path"), str):
        p.append('[start.ready] kind = "http" needs path = "/health" (placeholders allowed)')
    status = raw.get("status", [200])
    if isinstance(status, int) and not isinstance(status, bool):
        status = [status]
    if not (isinstance(status, list) and status and all(isinstance(x, int) for x in status)):
        p.append(f"[start.ready] status = {status!r} must be a status or a list, e.g. [200, 204]")
        status = [200]
    return ReadyProbe(kind, str(raw.get("path", "")), tuple(status), str(raw.get("body", "")))


def preflight_spec(raw: Mapping[str, Any], p: list[str]) -> tuple[str, ...]:
    # run with the [start] env plus the scenario's overrides; exit 1 means "problems found"
    section = table(raw, "preflight", p)
    command = section.get("command", [])
    if not isinstance(command, list) or not all(isinstance(c, str) for c in command):
        p.append('[preflight] command must be a list of strings, e.g. ["{python}", "-m", "x"]')
        return ()
    return tuple(command)


def backup_spec(raw: Mapping[str, Any], p: list[str]) -> BackupSpec | None:
    if "backup" not in raw:
        return None
    section = table(raw, "backup", p)
    command = section.get("command")
    if not (isinstance(command, list) and command and all(isinstance(c, str) for c in command)):
        p.append("[backup] command must be a non-empty list of strings")
        return None
    name = string(section, "name", p, required=True, where="[backup] ")
    if name and "{stamp}" not in name:
        p.append(
            f'[backup] name = {name!r} must contain {{stamp}} (e.g. "gateway-{{stamp}}.sqlite")'
        )
    directory = string(section, "dir", p, required=True, where="[backup] ")
    return BackupSpec(tuple(command), directory, name)
