"""Gateway configuration: every env var read once, cast strictly, secrets hidden in repr."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from metasim.gateway.store.base import Retention

T = TypeVar("T")

SIGNATURE_MODES = ("off", "warn", "enforce")
ENVIRONMENTS = ("dev", "test", "prod")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# serve: "process" runs the workers (stages, sends, DLQ schedule) in a supervised child process
# so the ACK loop stays free; "inline" runs everything in the HTTP process's event loop
WORKER_MODES = ("process", "inline")
# The local fake Graph API (simulator/graph) listens here by default; only dev/test may use it.
FAKE_GRAPH_BASE = "http://127.0.0.1:8089/v25.0"
SEND_URL_VARS = ("WA_SEND_URL", "IG_SEND_URL", "MSG_SEND_URL")


class ConfigError(ValueError):
    """One or more env vars are missing or invalid; ``problems`` lists every one of them."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid gateway configuration:\n  - " + "\n  - ".join(problems))


def _secret() -> Any:
    # repr=False keeps secret values out of repr(settings), tracebacks and log lines
    return field(default="", repr=False)


@dataclass(frozen=True)
class Settings:
    """The gateway's configuration (backlog env names kept: META_*, *_SEND_URL)."""

    app_secret: str = _secret()
    # the secret before the last rotation: still accepted until it is removed (no gap while
    # Meta switches over, and no need to drop to warn mode)
    app_secret_previous: str = _secret()
    verify_token: str = _secret()
    signature_mode: str = "warn"
    wa_send_url: str | None = None
    ig_send_url: str | None = None
    msg_send_url: str | None = None
    env: str = "dev"
    store_url: str = "sqlite:///var/gateway.db"
    clients_file: str = "examples/clients.json"
    seal_key: str = _secret()
    admin_token: str = _secret()
    dedupe_window_seconds: float = 604800.0
    outbox_sent_retention_seconds: float = 604800.0
    quarantine_retention_seconds: float = 2592000.0
    retention_sweep_seconds: float = 300.0
    inbox_max_attempts: int = 5
    outbox_max_attempts: int = 5
    outbox_backoff_base_seconds: float = 1.0
    outbox_backoff_max_seconds: float = 300.0
    outbox_concurrency: int = 32
    dlq_cron: str = "*/5 * * * *"
    graph_timeout_seconds: float = 10.0
    max_body_bytes: int = 3 * 1024 * 1024
    log_level: str = "INFO"
    log_file: str | None = None
    backup_dir: str = "var/backups"
    backup_retention_days: int = 7
    worker_poll_seconds: float = 0.05
    workers: str = "process"
    worker_niceness: int = 5
    host: str = "127.0.0.1"
    port: int = 8080

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read and validate the configuration; raise ConfigError listing every problem."""
        src = os.environ if env is None else env
        problems: list[str] = []
        r = _Reader(src, problems)
        gateway_env = r.choice("GATEWAY_ENV", ENVIRONMENTS, "dev")
        # Only dev/test fall back to the local fake Graph API; prod must name real URLs (P0-04).
        send_default = FAKE_GRAPH_BASE if gateway_env in ("dev", "test") else None
        send = {name: r.url(name, send_default) for name in SEND_URL_VARS}
        settings = cls(
            app_secret=r.text("META_APP_SECRET", ""),
            app_secret_previous=r.text("META_APP_SECRET_PREVIOUS", ""),
            verify_token=r.text("META_VERIFY_TOKEN", ""),
            signature_mode=r.choice("META_SIGNATURE_REQUIRED", SIGNATURE_MODES, "warn"),
            wa_send_url=send["WA_SEND_URL"],
            ig_send_url=send["IG_SEND_URL"],
            msg_send_url=send["MSG_SEND_URL"],
            env=gateway_env,
            store_url=r.store("GATEWAY_STORE", "sqlite:///var/gateway.db"),
            clients_file=r.text("GATEWAY_CLIENTS_FILE", "examples/clients.json"),
            seal_key=r.text("GATEWAY_SEAL_KEY", ""),
            admin_token=r.text("GATEWAY_ADMIN_TOKEN", ""),
            dedupe_window_seconds=r.number("DEDUPE_WINDOW_SECONDS", float, 604800.0, low=0),
            outbox_sent_retention_seconds=r.number(
                "OUTBOX_SENT_RETENTION_SECONDS", float, 604800.0, low=0
            ),
            quarantine_retention_seconds=r.number(
                "QUARANTINE_RETENTION_SECONDS", float, 2592000.0, low=0
            ),
            retention_sweep_seconds=r.number("RETENTION_SWEEP_SECONDS", float, 300.0, low=0.1),
            inbox_max_attempts=r.number("INBOX_MAX_ATTEMPTS", int, 5, low=1),
            outbox_max_attempts=r.number("OUTBOX_MAX_ATTEMPTS", int, 5, low=1),
            outbox_backoff_base_seconds=r.number("OUTBOX_BACKOFF_BASE_SECONDS", float, 1.0, low=0),
            outbox_backoff_max_seconds=r.number("OUTBOX_BACKOFF_MAX_SECONDS", float, 300.0, low=0),
            outbox_concurrency=r.number("OUTBOX_CONCURRENCY", int, 32, low=1, high=1000),
            dlq_cron=r.cron("DLQ_CRON", "*/5 * * * *"),
            graph_timeout_seconds=r.number("GRAPH_TIMEOUT_SECONDS", float, 10.0, low=0.001),
            max_body_bytes=r.number("MAX_BODY_BYTES", int, 3 * 1024 * 1024, low=1),
            log_level=r.choice("LOG_LEVEL", LOG_LEVELS, "INFO", upper=True),
            log_file=r.text("LOG_FILE", "") or None,
            backup_dir=r.text("BACKUP_DIR", "var/backups"),
            backup_retention_days=r.number("BACKUP_RETENTION_DAYS", int, 7, low=0),
            worker_poll_seconds=r.number("WORKER_POLL_SECONDS", float, 0.05, low=0.001),
            workers=r.choice("GATEWAY_WORKERS", WORKER_MODES, "process"),
            worker_niceness=r.number("GATEWAY_WORKER_NICENESS", int, 5, low=0, high=19),
            host=r.text("GATEWAY_HOST", "127.0.0.1"),
            port=r.number("GATEWAY_PORT", int, 8080, low=0, high=65535),
        )
        if settings.signature_mode == "enforce" and not settings.app_secret:
            problems.append(
                "META_SIGNATURE_REQUIRED=enforce needs META_APP_SECRET (every webhook would be refused)"
            )
        if problems:
            raise ConfigError(problems)
        return settings

    def retention(self) -> Retention:
        """How long the store keeps sent replies and quarantined events."""
        return Retention(
            sent_seconds=self.outbox_sent_retention_seconds,
            quarantine_seconds=self.quarantine_retention_seconds,
        )

    def send_url(self, channel: str) -> str | None:
        """The Graph base URL (with version) replies on ``channel`` go to, None if unset."""
        return {"wa": self.wa_send_url, "ig": self.ig_send_url, "msg": self.msg_send_url}[channel]

    def secret_values(self) -> list[str]:
        """Every secret value set, so the log redaction filter can mask it anywhere."""
        return [
            v
            for v in (
                self.app_secret,
                self.app_secret_previous,
                self.verify_token,
                self.seal_key,
                self.admin_token,
            )
            if v
        ]


class _Reader:
    """Strict casts that collect problems instead of stopping at the first one."""

    def __init__(self, src: Mapping[str, str], problems: list[str]) -> None:
        self.src = src
        self.problems = problems

    def _raw(self, name: str) -> str | None:
        value = self.src.get(name)
        if value is None:
            return None
        value = value.strip()
        return value or None  # an empty value counts as unset, as in docker-compose ${X:-}

    def text(self, name: str, default: str) -> str:
        value = self._raw(name)
        return default if value is None else value

    def choice(
        self, name: str, allowed: tuple[str, ...], default: str, *, upper: bool = False
    ) -> str:
        value = self._raw(name)
        if value is None:
            return default
        norm = value.upper() if upper else value.lower()
        if norm not in allowed:
            self.problems.append(f"{name}={value!r} is not one of {', '.join(allowed)}")
            return default
        return norm

    def number(
        self,
        name: str,
        cast: Callable[[str], T],
        default: T,
        *,
        low: float | None = None,
        high: float | None = None,
    ) -> T:
        value = self._raw(name)
        if value is None:
            return default
        try:
            result = cast(value)
        except ValueError:
            kind = "an integer" if cast is int else "a number"
            self.problems.append(f"{name}={value!r} is not {kind}")
            return default
        num = float(result)  # type: ignore[arg-type]
        if (low is not None and num < low) or (high is not None and num > high):
            bounds = f">= {low}" if high is None else f"between {low} and {high}"
            self.problems.append(f"{name}={value!r} must be {bounds}")
            return default
        return result

    def url(self, name: str, default: str | None) -> str | None:
        value = self._raw(name)
        if value is None:
            return default
        if not value.startswith(("http://", "https://")):
            self.problems.append(
                f"{name}={value!r} must be an http(s) Graph base URL, e.g. https://graph.facebook.com/v25.0"
            )
            return default
        return value.rstrip("/")

    def store(self, name: str, default: str) -> str:
        value = self.text(name, default)
        if not value.startswith(("sqlite:///", "redis://", "rediss://")):
            self.problems.append(f"{name}={value!r} must start with sqlite:/// or redis://")
            return default
        return value

    def cron(self, name: str, default: str) -> str:
        value = self.text(name, default)
        from croniter import croniter  # imported here: only config validation needs it

        if not croniter.is_valid(value):
            self.problems.append(f"{name}={value!r} is not a valid 5-field cron expression")
            return default
        return value
