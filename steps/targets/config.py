"""Target files (TOML): where a gateway listens, its secrets, tenants, endpoints, start command."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from metasim.steps.targets.model import (
    CAPABILITIES,
    CHANNELS,
    DEFAULT_LEVELS,
    LEVELS,
    TargetFile,
    Tenant,
)
from metasim.steps.targets.model_errors import target_problems
from metasim.steps.targets.settings import Setting
from metasim.steps.targets.specs import BackupSpec, StartSpec, backup_spec, start_spec

__all__ = ["CAPABILITIES", "CHANNELS", "LEVELS", "TargetConfig", "TargetFileError", "TenantIds"]
TENANT_KEYS = ("waba_id", "phone_number_id", "display_phone_number", "page_id", "ig_account_id")


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
    # per test id, the gateway's own reason a check outside ``levels`` does not hold
    advice: Mapping[str, str] = field(default_factory=dict)

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
    try:
        file = TargetFile.model_validate(raw, context={"env": env})
    except ValidationError as exc:
        raise TargetFileError(source, target_problems(exc, raw)) from None
    secrets = file.secrets
    return TargetConfig(
        name=file.name,
        source=source,
        base_url=file.base_url.rstrip("/"),
        webhooks={ch: url for ch in CHANNELS if (url := getattr(file.webhooks, ch))},
        app_secret=_secret(secrets.app_secret, secrets.app_secret_env, env),
        verify_token=_secret(secrets.verify_token, secrets.verify_token_env, env),
        admin_token=_secret(secrets.admin_token, secrets.admin_token_env, env),
        tenants=_tenants(file.tenants),
        graph_host=file.graph.host,
        graph_port=file.graph.port,
        graph_version=file.graph.version,
        endpoints=file.endpoints.model_dump(exclude_none=True),
        log_file=file.logs.file or None,
        start=start_spec(file.start),
        preflight=tuple(file.preflight.command),
        backup=backup_spec(file.backup),
        extra_capabilities=frozenset(file.capabilities),
        settle_seconds=file.settle_seconds,
        quiet_seconds=file.quiet_seconds,
        drain_seconds=file.drain_seconds,
        callbacks=file.callbacks,
        settings={
            name: Setting(name, dict(spec.env), tuple(spec.unset), tuple(spec.names))
            for name, spec in file.settings.items()
        },
        levels=tuple(file.levels),
        advice=dict(file.advice),
    )


def _secret(value: str | None, var: str | None, env: Mapping[str, str]) -> str:
    # Either the value itself or the name of an env var holding it (keeps secrets out of git);
    # the model has checked that a named variable is set
    if value is not None:
        return value
    return env.get(var, "") if var else ""


def _tenants(section: Mapping[str, Tenant]) -> dict[str, TenantIds]:
    if not section:
        return {"primary": TenantIds("primary")}
    out: dict[str, TenantIds] = {}
    for name, tenant in section.items():
        expires = tenant.token_expires_at
        if expires is None and name == "expired":
            expires = EXPIRED_DEFAULT  # the tenant whose token expired, unless the file says when
        values = tenant.model_dump(exclude={"token_expires_at"})
        out[name] = TenantIds(name, **values, token_expires_at=expires)
    return out


EXPIRED_DEFAULT = datetime(2024, 1, 31, tzinfo=UTC).timestamp()


def expand(template: str, values: Mapping[str, str]) -> str:
    """Replace ``{name}`` placeholders; an unknown placeholder names the allowed ones."""
    try:
        return template.format_map(dict(values))
    except KeyError as exc:
        raise TargetFileError(
            "<placeholders>",
            [f"unknown placeholder {exc} in {template!r}; known: {', '.join(sorted(values))}"],
        ) from None
