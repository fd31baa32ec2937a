"""Target files (TOML): where a gateway listens, its secrets, tenants, endpoints, start command."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from metasim.steps.targets.settings import Setting, settings_table
from metasim.steps.targets.specs import (
    BackupSpec,
    StartSpec,
    backup_spec,
    preflight_spec,
    start_spec,
)
from metasim.steps.targets.tables import string, table

CHANNELS = ("wa", "ig", "msg")
# Capabilities a scenario can require with a @needs-<capability> tag.
CAPABILITIES = (
    "health",
    "ready",
    "metrics",
    "admin",
    "logs",
    "restart",
    "handshake",
    "preflight",
    "backup",
    "status-callbacks",
    "dead-letters",
    "tenants",
    "inprocess",
)
# Whose requirement a scenario checks: Meta's (any webhook receiver), the backlog's acceptance
# criteria, or the reference gateway's own policy (exact 400 for a non-JSON body ...).
LEVELS = ("meta", "backlog", "reference")
DEFAULT_LEVELS = ("meta", "backlog")
TENANT_KEYS = ("waba_id", "phone_number_id", "display_phone_number", "page_id", "ig_account_id")
TENANT_EXTRAS = ("token", "reply", "api_key")
TOP_KEYS = {
    "name",
    "base_url",
    "webhooks",
    "secrets",
    "tenants",
    "graph",
    "endpoints",
    "logs",
    "start",
    "capabilities",
    "settle_seconds",
    "quiet_seconds",
    "drain_seconds",
    "callbacks",
    "settings",
    "levels",
    "preflight",
    "backup",
}


class TargetFileError(ValueError):
    """A target file is malformed; the message names the file, the key and what to write."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"target file {source}:\n  - " + "\n  - ".join(problems))


@dataclass(frozen=True)
class TenantIds:
    """One configured tenant: the business ids the gateway knows and the Graph token it sends."""

    name: str
    waba_id: str = "102290129340398"
    phone_number_id: str = "106540352242922"
    display_phone_number: str = "15550783881"
    page_id: str = "112233445566778"
    ig_account_id: str = "17841400000000001"
    token: str = field(default="", repr=False)
    # when the token stops working (epoch seconds); the fake Graph API refuses it after that
    token_expires_at: float | None = None
    reply: str = ""  # a fixed reply text; empty: the tenant echoes what it receives
    api_key: str = field(default="", repr=False)  # the client's key for the outbound API


@dataclass(frozen=True)
class TargetConfig:
    """A parsed target file; ``{placeholders}`` are resolved when the target starts."""

    name: str
    source: str
    base_url: str
    webhooks: Mapping[str, str]
    app_secret: str = field(repr=False)
    verify_token: str = field(repr=False)
    admin_token: str = field(default="", repr=False)
    tenants: Mapping[str, TenantIds] = field(default_factory=dict)
    graph_host: str = "127.0.0.1"
    graph_port: int = 0
    graph_version: str = "v25.0"
    endpoints: Mapping[str, str] = field(default_factory=dict)
    log_file: str | None = None
    start: StartSpec | None = None
    preflight: tuple[str, ...] = ()
    backup: BackupSpec | None = None
    extra_capabilities: frozenset[str] = frozenset()
    settle_seconds: float = 0.3
    # a reply wait ends once the gateway answered and then sent nothing for this long
    quiet_seconds: float = 0.75
    # at the end of the run, how long to keep watching for late traffic (retries, loops)
    drain_seconds: float = 2.0
    # status / receipt webhooks sent back after each accepted send, to the declared webhooks
    callbacks: bool = True
    # named behaviours the scenarios switch, mapped to this gateway's own env vars
    settings: Mapping[str, Setting] = field(default_factory=dict)
    # the levels whose checks decide the verdict; the others are reported as advice
    levels: tuple[str, ...] = DEFAULT_LEVELS

    @property
    def capabilities(self) -> frozenset[str]:
        """What this target can do: derived from what the file names, plus ``capabilities``."""
        caps = set(self.extra_capabilities)
        caps.update(k for k in ("health", "ready", "metrics") if k in self.endpoints)
        if "admin" in self.endpoints and self.admin_token:
            caps.add("admin")
        if "admin" in caps or "metrics" in caps:
            caps.add("dead-letters")  # the dead-letter queue is seen through one of them
        if self.log_file:
            caps.add("logs")
        if self.start is not None:
            caps.add("restart")
            if self.preflight:
                caps.add("preflight")
            if self.backup is not None:
                caps.add("backup")
        if self.verify_token:
            caps.add("handshake")
        if len(self.tenants) > 1:
            caps.add("tenants")
        if self.callbacks:
            caps.add("status-callbacks")
        return frozenset(caps)

    @property
    def channels(self) -> tuple[str, ...]:
        """The channels the gateway serves (those with a webhook), in wa, ig, msg order."""
        return tuple(ch for ch in CHANNELS if ch in self.webhooks)

    @property
    def business_ids(self) -> frozenset[str]:
        """Every id of every tenant's business side (numbers, Pages, IG accounts, WABAs)."""
        return frozenset(
            getattr(t, key) for t in self.tenants.values() for key in TENANT_KEYS if getattr(t, key)
        )

    def tenant(self, name: str = "primary") -> TenantIds:
        """The tenant called ``name``; a clear error lists the configured ones."""
        try:
            return self.tenants[name]
        except KeyError:
            raise TargetFileError(
                self.source, [f"no tenant {name!r}; configured: {', '.join(self.tenants)}"]
            ) from None


def load(path: str | Path, env: Mapping[str, str] | None = None) -> TargetConfig:
    """Parse and validate a target file; TargetFileError lists every problem found."""
    source = str(path)
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TargetFileError(source, ["file not found"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise TargetFileError(source, [f"not valid TOML: {exc}"]) from None
    return from_mapping(raw, source=source, env=env)


def from_mapping(
    raw: Mapping[str, Any], *, source: str, env: Mapping[str, str] | None = None
) -> TargetConfig:
    """Validate an already-parsed target description (the built-in targets use this too)."""
    env = os.environ if env is None else env
    p: list[str] = []
    for key in sorted(set(raw) - TOP_KEYS):
        p.append(f"unknown key {key!r}; allowed top-level keys: {', '.join(sorted(TOP_KEYS))}")
    name = string(raw, "name", p, required=True)
    base_url = string(raw, "base_url", p, required=True)
    if base_url and not base_url.startswith(("http://", "https://")):
        p.append(f"base_url = {base_url!r} must start with http:// or https://")
    webhooks = table(raw, "webhooks", p)
    # a gateway declares the channels it serves; scenarios of the others are not applicable
    if not any(ch in webhooks for ch in CHANNELS):
        p.append('[webhooks] needs at least one channel: wa, ig or msg = "/webhook/..." or a URL')
    for ch in CHANNELS:
        if ch in webhooks and not isinstance(webhooks[ch], str):
            p.append(f'[webhooks] {ch} must be a path like "/webhook/{ch}" or a full URL')
    for key in sorted(set(webhooks) - set(CHANNELS)):
        p.append(f"[webhooks] unknown channel {key!r}; use wa, ig, msg")
    secrets = table(raw, "secrets", p)
    known_secrets = {
        f"{k}{e}" for k in ("app_secret", "verify_token", "admin_token") for e in ("", "_env")
    }
    for key in sorted(set(secrets) - known_secrets):
        p.append(f"[secrets] unknown key {key!r}; allowed: {', '.join(sorted(known_secrets))}")
    app_secret = _secret(secrets, "app_secret", env, p, required=True)
    verify_token = _secret(secrets, "verify_token", env, p, required=False)
    admin_token = _secret(secrets, "admin_token", env, p, required=False)
    graph = table(raw, "graph", p)
    port = graph.get("port", 0)
    if not isinstance(port, int) or not 0 <= port <= 65535:
        p.append(f"[graph] port = {port!r} must be an integer 0-65535 (0 picks a free port)")
        port = 0
    caps = raw.get("capabilities", [])
    if not isinstance(caps, list) or not all(isinstance(c, str) for c in caps):
        p.append("capabilities must be a list of strings")
        caps = []
    for cap in caps:
        if cap not in CAPABILITIES:
            p.append(f"capabilities: unknown {cap!r}; known: {', '.join(CAPABILITIES)}")
    endpoints = {str(k): str(v) for k, v in table(raw, "endpoints", p).items()}
    for key in sorted(set(endpoints) - {"health", "ready", "metrics", "admin"}):
        p.append(f"[endpoints] unknown {key!r}; use health, ready, metrics, admin")
    settle = _seconds(raw, "settle_seconds", 0.3, p)
    quiet = _seconds(raw, "quiet_seconds", 0.75, p)
    drain = _seconds(raw, "drain_seconds", 2.0, p)
    levels = raw.get("levels", list(DEFAULT_LEVELS))
    if not (isinstance(levels, list) and levels and all(lv in LEVELS for lv in levels)):
        p.append(f"levels = {levels!r} must be a non-empty list of {', '.join(LEVELS)}")
        levels = list(DEFAULT_LEVELS)
    callbacks = raw.get("callbacks", True)
    if not isinstance(callbacks, bool):
        p.append(f"callbacks = {callbacks!r} must be true or false (status webhooks sent back)")
        callbacks = True
    if "status-callbacks" in caps and callbacks is False:
        p.append('capabilities lists "status-callbacks" but callbacks = false')
    config = TargetConfig(
        name=name or "?",
        source=source,
        base_url=(base_url or "").rstrip("/"),
        webhooks={k: str(v) for k, v in webhooks.items() if k in CHANNELS},
        app_secret=app_secret,
        verify_token=verify_token,
        admin_token=admin_token,
        tenants=_tenants(raw, p),
        graph_host=str(graph.get("host", "127.0.0.1")),
        graph_port=port,
        graph_version=str(graph.get("version", "v25.0")),
        endpoints=endpoints,
        log_file=string(table(raw, "logs", p), "file", p, where="[logs] ") or None,
        start=start_spec(raw, p),
        preflight=preflight_spec(raw, p),
        backup=backup_spec(raw, p),
        extra_capabilities=frozenset(c for c in caps if c in CAPABILITIES),
        settle_seconds=settle,
        quiet_seconds=quiet,
        drain_seconds=drain,
        callbacks=callbacks,
        settings=settings_table(raw, p),
        levels=tuple(levels),
    )
    if p:
        raise TargetFileError(source, p)
    return config


def _seconds(raw: Mapping[str, Any], key: str, default: float, p: list[str]) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        p.append(f"{key} = {value!r} must be a number of seconds >= 0")
        return default
    return float(value)


def _secret(
    section: Mapping[str, Any], key: str, env: Mapping[str, str], p: list[str], *, required: bool
) -> str:
    # Either the value itself or the name of an env var holding it (keeps secrets out of git).
    if key in section:
        return string(section, key, p, where="[secrets] ")
    env_key = f"{key}_env"
    if env_key in section:
        var = string(section, env_key, p, where="[secrets] ")
        if var and not env.get(var):
            p.append(f"[secrets] {env_key} = {var!r} but ${var} is not set in the environment")
        return env.get(var, "") if var else ""
    if required:
        p.append(f"[secrets] {key} (or {env_key}, the name of an env var holding it) is required")
    return ""


def _tenants(raw: Mapping[str, Any], p: list[str]) -> dict[str, TenantIds]:
    section = table(raw, "tenants", p)
    if not section:
        return {"primary": TenantIds("primary")}
    out: dict[str, TenantIds] = {}
    for name, ids in section.items():
        if not isinstance(ids, dict):
            p.append(f"[tenants.{name}] must be a table of ids")
            continue
        unknown = sorted(set(ids) - {*TENANT_KEYS, *TENANT_EXTRAS, "token_expires_at"})
        if unknown:
            keys = ", ".join((*TENANT_KEYS, *TENANT_EXTRAS, "token_expires_at"))
            p.append(f"[tenants.{name}] unknown {', '.join(unknown)}; allowed: {keys}")
        values = {k: str(v) for k, v in ids.items() if k in (*TENANT_KEYS, *TENANT_EXTRAS)}
        expires = _expiry(ids.get("token_expires_at"), name, p)
        if expires is None and name == "expired":
            expires = EXPIRED_DEFAULT  # the tenant whose token expired, unless the file says when
        out[name] = TenantIds(name, **values, token_expires_at=expires)
    if "primary" not in out:
        p.append("[tenants] needs a [tenants.primary] table (the tenant scenarios use by default)")
    return out


EXPIRED_DEFAULT = datetime(2024, 1, 31, tzinfo=UTC).timestamp()


def _expiry(value: Any, tenant: str, p: list[str]) -> float | None:
    """``token_expires_at``: a TOML date-time, an ISO 8601 string or epoch seconds."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
    p.append(
        f"[tenants.{tenant}] token_expires_at = {value!r} must be a date-time "
        "(2024-01-31T00:00:00Z) or epoch seconds"
    )
    return None


def expand(template: str, values: Mapping[str, str]) -> str:
    """Replace ``{name}`` placeholders; an unknown placeholder names the allowed ones."""
    try:
        return template.format_map(dict(values))
    except KeyError as exc:
        raise TargetFileError(
            "<placeholders>",
            [f"unknown placeholder {exc} in {template!r}; known: {', '.join(sorted(values))}"],
        ) from None
