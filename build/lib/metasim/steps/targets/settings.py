"""Named settings: each behaviour a scenario switches, mapped by the target to its own env vars.

The suite never writes a gateway's variable names into a scenario. A scenario asks for a
setting by name ("signature-warn", "production-without-send-urls" ...); the target file maps
each name it supports to the env vars that make its gateway behave so (``[settings.NAME]``
with ``env``, ``unset`` and, for the refusals, the ``names`` the gateway's error must cite).
A setting the target does not map makes the scenario not applicable, never failed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# The closed vocabulary of settings the built-in scenarios use, and what each must do.
SETTINGS: dict[str, str] = {
    "signature-enforce": "refuse a missing or wrong signature (401/403) before storing anything",
    "signature-warn": "accept a missing or wrong signature, logging a warning",
    "signature-off": "accept without checking signatures",
    "signature-unset": "no signature mode configured: the gateway's default applies",
    "production-without-send-urls": "production with no Graph send URL configured",
    "production-with-mock-send-url": "production with a send URL pointing at a local mock",
    "production-with-problems": "production with several problems at once (for preflight)",
    "dlq-replay-every-second": "the dead-letter queue replayed on a schedule, every second",
}


@dataclass(frozen=True)
class Setting:
    """How the target reaches one named setting: env overrides, names unset, names to cite."""

    name: str
    env: Mapping[str, str] = field(default_factory=dict)
    unset: tuple[str, ...] = ()
    names: tuple[str, ...] = ()  # what a refusal to start (or preflight) must name

    def overrides(self) -> dict[str, str | None]:
        """The env overrides for Target.configure (None unsets a variable)."""
        return {**dict(self.env), **dict.fromkeys(self.unset)}


def settings_table(raw: Mapping[str, Any], p: list[str]) -> dict[str, Setting]:
    """Parse ``[settings.NAME]`` tables, listing every problem."""
    section = raw.get("settings", {})
    if not isinstance(section, dict):
        p.append("[settings] must hold tables: [settings.signature-warn] env = {...}")
        return {}
    out: dict[str, Setting] = {}
    for name, spec in section.items():
        where = f"[settings.{name}]"
        if name not in SETTINGS:
            p.append(f"{where} unknown setting; known: {', '.join(SETTINGS)}")
            continue
        if not isinstance(spec, dict):
            p.append(f"{where} must be a table with env, unset and names")
            continue
        for extra in sorted(set(spec) - {"env", "unset", "names"}):
            p.append(f"{where} unknown key {extra!r}; allowed: env, unset, names")
        env = spec.get("env", {})
        if not isinstance(env, dict):
            p.append(f'{where} env must be a table of NAME = "value"')
            env = {}
        lists = {}
        for key in ("unset", "names"):
            value = spec.get(key, [])
            if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                p.append(f"{where} {key} must be a list of variable names")
                value = []
            lists[key] = tuple(value)
        out[name] = Setting(name, {str(k): str(v) for k, v in env.items()}, **lists)
    return out
