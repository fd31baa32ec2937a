"""Gateway configuration: every env var read once (pydantic-settings), secrets hidden in repr."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from metasim.gateway.settings_errors import ConfigError, problems_of
from metasim.gateway.store.base import Retention

__all__ = ["FAKE_GRAPH_BASE", "SEND_URL_VARS", "ConfigError", "Settings"]

# The local fake Graph API (simulator/graph) listens here by default; only dev/test may use it.
FAKE_GRAPH_BASE = "http://127.0.0.1:8089/v25.0"
SEND_URL_VARS = ("WA_SEND_URL", "IG_SEND_URL", "MSG_SEND_URL")


def _lower(value: Any) -> Any:
    # choices are matched in any case ("ENFORCE" works), as operators write them both ways
    return value.lower() if isinstance(value, str) else value


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


def _graph_url(value: str | None) -> str | None:
    if value is not None and not value.startswith(("http://", "https://")):
        raise ValueError("must be an http(s) Graph base URL, e.g. https://graph.facebook.com/v25.0")
    return None if value is None else value.rstrip("/")


def _store_url(value: str) -> str:
    if not value.startswith(("sqlite:///", "redis://", "rediss://")):
        raise ValueError("must start with sqlite:/// or redis://")
    return value


def _cron(value: str) -> str:
    from croniter import croniter  # imported here: only config validation needs it

    if not croniter.is_valid(value):
        raise ValueError("is not a valid 5-field cron expression")
    return value


Lower = BeforeValidator(_lower)
GraphURL = Annotated[str | None, AfterValidator(_graph_url)]


def _env(name: str, default: Any, **kw: Any) -> Any:
    """A field read from the env var ``name`` (the backlog's names: META_*, *_SEND_URL ...)."""
    return Field(default, validation_alias=name, **kw)


def _secret(name: str) -> Any:
    # repr=False keeps secret values out of repr(settings), tracebacks and log lines
    return Field("", validation_alias=name, repr=False)


class Settings(BaseSettings):
    """The gateway's configuration (backlog env names kept: META_*, *_SEND_URL).

    ``Settings.from_env()`` reads the environment; ``Settings(field=value)`` (tests) reads
    nothing but its arguments and gets the same defaults as an empty environment.
    """

    # frozen: read once; case_sensitive: env var names are matched exactly, as before
    model_config = SettingsConfigDict(
        frozen=True, populate_by_name=True, case_sensitive=True, extra="ignore"
    )

    # first: the send URLs' defaults depend on it (validators see the fields declared before)
    env: Annotated[Literal["dev", "test", "prod"], Lower] = _env("GATEWAY_ENV", "dev")
    app_secret: str = _secret("META_APP_SECRET")
    # the secret before the last rotation: still accepted until it is removed (no gap while
    # Meta switches over, and no need to drop to warn mode)
    app_secret_previous: str = _secret("META_APP_SECRET_PREVIOUS")
    verify_token: str = _secret("META_VERIFY_TOKEN")
    signature_mode: Annotated[Literal["off", "warn", "enforce"], Lower] = _env(
        "META_SIGNATURE_REQUIRED", "warn"
    )
    wa_send_url: GraphURL = _env("WA_SEND_URL", None, validate_default=True)
    ig_send_url: GraphURL = _env("IG_SEND_URL", None, validate_default=True)
    msg_send_url: GraphURL = _env("MSG_SEND_URL", None, validate_default=True)
    store_url: Annotated[str, AfterValidator(_store_url)] = _env(
        "GATEWAY_STORE", "sqlite:///var/gateway.db"
    )
    clients_file: str = _env("GATEWAY_CLIENTS_FILE", "examples/clients.json")
    seal_key: str = _secret("GATEWAY_SEAL_KEY")
    admin_token: str = _secret("GATEWAY_ADMIN_TOKEN")
    dedupe_window_seconds: float = _env("DEDUPE_WINDOW_SECONDS", 604800.0, ge=0)
    outbox_sent_retention_seconds: float = _env("OUTBOX_SENT_RETENTION_SECONDS", 604800.0, ge=0)
    quarantine_retention_seconds: float = _env("QUARANTINE_RETENTION_SECONDS", 2592000.0, ge=0)
    retention_sweep_seconds: float = _env("RETENTION_SWEEP_SECONDS", 300.0, ge=0.1)
    inbox_max_attempts: int = _env("INBOX_MAX_ATTEMPTS", 5, ge=1)
    outbox_max_attempts: int = _env("OUTBOX_MAX_ATTEMPTS", 5, ge=1)
    outbox_backoff_base_seconds: float = _env("OUTBOX_BACKOFF_BASE_SECONDS", 1.0, ge=0)
    outbox_backoff_max_seconds: float = _env("OUTBOX_BACKOFF_MAX_SECONDS", 300.0, ge=0)
    outbox_concurrency: int = _env("OUTBOX_CONCURRENCY", 32, ge=1, le=1000)
    dlq_cron: Annotated[str, AfterValidator(_cron)] = _env("DLQ_CRON", "*/5 * * * *")
    graph_timeout_seconds: float = _env("GRAPH_TIMEOUT_SECONDS", 10.0, ge=0.001)
    max_body_bytes: int = _env("MAX_BODY_BYTES", 3 * 1024 * 1024, ge=1)
    log_level: Annotated[
        Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], BeforeValidator(_upper)
    ] = _env("LOG_LEVEL", "INFO")
    log_file: str | None = _env("LOG_FILE", None)
    backup_dir: str = _env("BACKUP_DIR", "var/backups")
    backup_retention_days: int = _env("BACKUP_RETENTION_DAYS", 7, ge=0)
    worker_poll_seconds: float = _env("WORKER_POLL_SECONDS", 0.05, ge=0.001)
    # serve: "process" runs the workers (stages, sends, DLQ schedule) in a supervised child
    # process so the ACK loop stays free; "inline" runs everything in the HTTP process's loop
    workers: Annotated[Literal["process", "inline"], Lower] = _env("GATEWAY_WORKERS", "process")
    worker_niceness: int = _env("GATEWAY_WORKER_NICENESS", 5, ge=0, le=19)
    host: str = _env("GATEWAY_HOST", "127.0.0.1")
    port: int = _env("GATEWAY_PORT", 8080, ge=0, le=65535)

    @field_validator("wa_send_url", "ig_send_url", "msg_send_url")
    @classmethod
    def _send_default(cls, value: str | None, info: ValidationInfo) -> str | None:
        # Only dev/test fall back to the local fake Graph API; prod must name real URLs (P0-04).
        # An invalid GATEWAY_ENV is reported on its own; the others are checked as in dev.
        if value is None and info.data.get("env", "dev") in ("dev", "test"):
            return FAKE_GRAPH_BASE
        return value

    @field_validator("signature_mode")
    @classmethod
    def _enforce_needs_secret(cls, value: str, info: ValidationInfo) -> str:
        if value == "enforce" and not info.data.get("app_secret"):
            raise ValueError("needs META_APP_SECRET (every webhook would be refused)")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Settings(...) reads only its arguments: from_env names the environment it reads, so
        # a test never picks up the developer's shell variables by accident
        return (init_settings,)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read and validate the configuration; raise ConfigError listing every problem."""
        from metasim.gateway.settings_source import MappingEnvSource

        source = MappingEnvSource(cls, os.environ if env is None else env)
        values = source()
        try:
            return cls(**values)
        except ValueError as exc:  # pydantic's ValidationError
            raise ConfigError(problems_of(exc, cls, source.env_vars)) from None

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
