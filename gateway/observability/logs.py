"""JSON log lines (one per stage and event) with every known secret value masked."""

from __future__ import annotations

import json
import logging
import sys
import time
import traceback
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import IO, Any

import orjson

LEVELS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40, "CRITICAL": 50}
MASK = "***"
# Field names whose values are masked whatever they hold (tokens arriving from outside, too).
SECRET_KEYS = frozenset(
    {
        "token",
        "access_token",
        "graph_token",
        "authorization",
        "app_secret",
        "verify_token",
        "seal_key",
        "admin_token",
        "api_key",
        "secret",
        "password",
        "hub.verify_token",
    }
)


class JsonLog:
    """Writes one JSON object per line to stdout (and LOG_FILE when set), redacting secrets.

    Written by hand rather than through ``logging``: a line costs one serialisation and one
    ``write``, which matters on the ACK path's bench). Secrets are masked in the
    serialised line itself, so a secret hidden in any field, nested or not, never gets out.
    """

    def __init__(self) -> None:
        self.threshold = LEVELS["INFO"]
        self.streams: list[IO[str]] = [sys.stdout]
        self._file: IO[str] | None = None
        self._secrets: list[str] = []

    def configure(
        self,
        *,
        level: str = "INFO",
        log_file: str | None = None,
        secrets: Iterable[str] = (),
        stream: IO[str] | None = None,
    ) -> None:
        """Set level, sinks and the secret values to mask (replaces the previous setup)."""
        self.threshold = LEVELS.get(level.upper(), LEVELS["INFO"])
        if self._file is not None:
            self._file.close()
            self._file = None
        self.streams = [stream if stream is not None else sys.stdout]
        if log_file:
            self._file = open(log_file, "a", encoding="utf-8", buffering=1)  # noqa: SIM115
            self.streams.append(self._file)
        self._secrets = []
        self.add_secrets(secrets)

    def add_secrets(self, values: Iterable[str]) -> None:
        """Mask these values too (client Graph tokens and API keys, loaded after settings)."""
        forms = set(self._secrets)
        for value in values:
            if value:
                forms.add(value)
                # the JSON-escaped form too, in case a secret holds quotes, backslashes or unicode
                forms.add(json.dumps(value)[1:-1])
        # longest first, so a secret containing another one is masked whole
        self._secrets = sorted(forms, key=len, reverse=True)

    def redact(self, line: str) -> str:
        """``line`` with every known secret value replaced by ``***``."""
        for secret in self._secrets:
            if secret in line:
                line = line.replace(secret, MASK)
        return line

    def emit(self, level: str, msg: str, record: dict[str, Any]) -> None:
        if LEVELS.get(level, 20) < self.threshold:
            return
        line = self.redact(_dumps(record))
        for stream in self.streams:
            try:
                stream.write(line + "\n")
            except ValueError:  # a closed stream (test teardown) must never break a request
                continue


LOG = JsonLog()


def _dumps(record: dict[str, Any]) -> str:
    """One JSON line: orjson (several lines per message; ~5x cheaper than ``json.dumps``),
    with ``json`` for what only it encodes (an integer past 64 bits, a non-string key)."""
    try:
        return orjson.dumps(record, default=str).decode("utf-8")
    except TypeError:
        return json.dumps(record, default=str, ensure_ascii=False)


def _mask_keys(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: (MASK if k.lower() in SECRET_KEYS and v else v) for k, v in fields.items()}


def log_enabled(level: str) -> bool:
    """Whether a line at ``level`` would be written (LOG_LEVEL)."""
    return LEVELS.get(level.upper(), 20) >= LOG.threshold


def log_event(
    level: str,
    msg: str,
    *,
    stage: str,
    channel: str | None = None,
    msg_id: str | None = None,
    correlation_id: str | None = None,
    **fields: Any,
) -> None:
    """Write one JSON log line; every line carries the six fields P2-02 asks for."""
    level = level.upper()
    if LEVELS.get(level, 20) < LOG.threshold:
        return
    now = time.time()
    record: dict[str, Any] = {
        "timestamp": datetime.fromtimestamp(now, UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z"),
        "level": level,
        "stage": stage,
        "channel": channel,
        "msg_id": msg_id,
        "correlation_id": correlation_id,
        "msg": msg,
    }
    if fields:
        record.update(_mask_keys(fields))
    LOG.emit(level, msg, record)


def log_exception(level: str, msg: str, exc: BaseException, *, stage: str, **fields: Any) -> None:
    """One log line for a caught exception, with its type, message and traceback as fields."""
    log_event(level, msg, stage=stage, **fields, **exception_fields(exc))


def exception_fields(exc: BaseException) -> dict[str, Any]:
    """``exc_type``, ``exc_message`` and ``traceback`` (the formatted stack) of ``exc``."""
    return {
        "exc_type": type(exc).__name__,
        "exc_message": str(exc),
        "traceback": "".join(traceback.format_exception(exc)),
    }


class LibraryHandler(logging.Handler):
    """Writes the stdlib ``logging`` records of libraries (uvicorn, aiohttp, redis...) as our
    JSON lines: ``stage`` "library", ``logger`` the record's logger, masked like the rest."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            level = logging.getLevelName(record.levelno)
            fields: dict[str, Any] = {"logger": record.name}
            if record.exc_info and record.exc_info[1] is not None:
                fields.update(exception_fields(record.exc_info[1]))
            log_event(level if level in LEVELS else "INFO", record.getMessage(),
                      stage="library", **fields)  # fmt: skip
        except Exception:  # a log line must never break the caller
            self.handleError(record)


# loggers that install handlers of their own (uvicorn's dictConfig): emptied so every line
# reaches the root logger's JSON handler once; their own level (uvicorn's Config(log_level=...)
# sets one) and a disabled flag (dictConfig) are reset, so the gateway's LOG_LEVEL decides
LIBRARY_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "aiohttp", "redis")
_BRIDGE = LibraryHandler()


def route_library_logs(level: str) -> None:
    """Send every stdlib logging record at ``level`` or above through the JSON log."""
    root = logging.getLogger()
    if _BRIDGE not in root.handlers:
        root.addHandler(_BRIDGE)
    root.setLevel(LEVELS.get(level.upper(), LEVELS["INFO"]))
    for name in LIBRARY_LOGGERS:
        lib = logging.getLogger(name)
        for handler in list(lib.handlers):
            lib.removeHandler(handler)
        lib.propagate = True
        lib.setLevel(logging.NOTSET)
        lib.disabled = False


def configure_logging(
    *,
    level: str = "INFO",
    log_file: str | None = None,
    secrets: Iterable[str] = (),
    stream: IO[str] | None = None,
) -> None:
    """Configure the process-wide JSON log (called once by the app factory and the CLI),
    libraries' stdlib ``logging`` included."""
    LOG.configure(level=level, log_file=log_file, secrets=secrets, stream=stream)
    route_library_logs(level)
