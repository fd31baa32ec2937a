"""Typed reads of target-file tables that collect problems instead of stopping at the first."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def string(
    raw: Mapping[str, Any], key: str, p: list[str], *, required: bool = False, where: str = ""
) -> str:
    value = raw.get(key)
    if value is None:
        if required:
            p.append(f"{where}{key} is required")
        return ""
    if not isinstance(value, str):
        p.append(f"{where}{key} must be a string, got {type(value).__name__}")
        return ""
    return value


# Keys each table accepts; a misspelt key (or a top-level key written below a table header,
# which TOML files under that table) is reported instead of silently ignored.
TABLE_KEYS = {
    "graph": {"host", "port", "version"},
    "logs": {"file"},
    "start": {
        "command",
        "env",
        "cwd",
        "ready_path",
        "ready",
        "timeout",
        "inherit_env",
        "stop_grace",
    },
    "preflight": {"command"},
    "backup": {"command", "dir", "name"},
}


def table(raw: Mapping[str, Any], key: str, p: list[str]) -> dict[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        p.append(f"[{key}] must be a table, got {type(value).__name__}")
        return {}
    allowed = TABLE_KEYS.get(key)
    if allowed is not None:
        for extra in sorted(set(value) - allowed):
            p.append(
                f"[{key}] unknown key {extra!r}; allowed: {', '.join(sorted(allowed))} "
                "(top-level keys must come before the first [table])"
            )
    return value
