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
