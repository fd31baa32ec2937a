"""The command tables of a target file: [start], [preflight], [backup]."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from steps.targets.tables import string, table


@dataclass(frozen=True)
class StartSpec:
    """How the harness starts (and restarts) the gateway: argv, env, readiness probe."""

    command: tuple[str, ...]
    env: Mapping[str, str]
    cwd: str = "."
    ready_path: str = "/health"
    timeout: float = 30.0
    inherit_env: bool = True


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
    timeout = section.get("timeout", 30.0)
    if not isinstance(timeout, int | float) or timeout <= 0:
        p.append(f"[start] timeout = {timeout!r} must be a number of seconds > 0")
        timeout = 30.0
    return StartSpec(
        command=tuple(command),
        env={str(k): str(v) for k, v in env.items()},
        cwd=str(section.get("cwd", ".")),
        ready_path=str(section.get("ready_path", "/health")),
        timeout=float(timeout),
        inherit_env=bool(section.get("inherit_env", True)),
    )


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
