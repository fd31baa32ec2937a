"""Evidence the steps attach to the running scenario: payloads, answers, Graph calls, logs, coverage marks."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# Caps keep the single-file report small: under 5 MB for the full run) even when a
# scenario sends a 1000-message batch or a retry storm hits the fake Graph API. The sha256 and
# the full size are kept so a truncated body can still be matched against a capture.
MAX_BODY_BYTES = 16 * 1024
MAX_ITEMS = 100
MAX_LOG_LINES = 200
NOT_APPLICABLE_PREFIX = "not applicable: "


@dataclass
class Evidence:
    """What one scenario sent, received and observed."""

    payloads: list[dict[str, Any]] = field(default_factory=list)
    answers: list[dict[str, Any]] = field(default_factory=list)
    graph_calls: list[dict[str, Any]] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)
    exercised: list[dict[str, Any]] = field(default_factory=list)
    dropped: dict[str, int] = field(default_factory=dict)
    failure_hooks: list[Callable[[], Iterable[str]]] = field(default_factory=list, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the failure hooks are not data and stay behind)."""
        return {
            "payloads": self.payloads,
            "answers": self.answers,
            "graph_calls": self.graph_calls,
            "logs": self.logs,
            "exercised": self.exercised,
            "dropped": self.dropped,
        }


# One scenario runs at a time in a pytest process, but servers started by the steps (fake Graph
# API, gateway threads) may record from other threads: a module global guarded by a lock, not a
# contextvar, so that a thread started by a step still sees the scenario.
_lock = threading.Lock()
_current: Evidence | None = None
_run_info: dict[str, Any] = {"target": None, "versions": {}, "extra": {}}


def set_run_info(
    target: str | None = None,
    versions: Mapping[str, str] | None = None,
    **extra: str,
) -> None:
    """Facts the report header shows: the target's name, component versions, anything else."""
    if target is not None:
        _run_info["target"] = str(target)
    _run_info["versions"].update({str(k): str(v) for k, v in (versions or {}).items()})
    _run_info["extra"].update({str(k): str(v) for k, v in extra.items()})


def run_info() -> dict[str, Any]:
    """What :func:`set_run_info` was given so far (the plugin reads it at the end of the run)."""
    return {
        "target": _run_info["target"],
        "versions": dict(_run_info["versions"]),
        "extra": dict(_run_info["extra"]),
    }


def reset_run_info() -> None:
    """Forget the run facts (the plugin calls it at the start of a run)."""
    _run_info.update({"target": None, "versions": {}, "extra": {}})


def begin() -> Evidence:
    """Start collecting for a new scenario (called by the plugin); returns its evidence."""
    global _current
    with _lock:
        _current = Evidence()
        return _current


def end() -> Evidence | None:
    """Stop collecting (called by the plugin); returns what the scenario recorded."""
    global _current
    with _lock:
        done, _current = _current, None
        return done


def current() -> Evidence | None:
    """The evidence of the running scenario, None outside a reported run."""
    return _current


def _append(kind: str, items: list[Any], item: Any) -> None:
    ev = _current
    if ev is None:
        return
    if len(items) >= MAX_ITEMS:
        ev.dropped[kind] = ev.dropped.get(kind, 0) + 1
        return
    items.append(item)


def _decode(cut: bytes, truncated: bool) -> tuple[str, str]:
    """UTF-8 text when the bytes are text (a cut may split a character: drop up to 3 bytes)."""
    for tail in range(4 if truncated else 1):
        try:
            return cut[: len(cut) - tail].decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            continue
    return base64.b64encode(cut).decode("ascii"), "base64"


def _body(raw: bytes | str | None) -> dict[str, Any]:
    """A body as text (UTF-8) or base64 when binary, cut at MAX_BODY_BYTES, with size and sha256."""
    data = raw.encode("utf-8") if isinstance(raw, str) else (raw or b"")
    truncated = len(data) > MAX_BODY_BYTES
    text, encoding = _decode(data[:MAX_BODY_BYTES], truncated)
    return {
        "text": text,
        "encoding": encoding,
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "truncated": truncated,
    }


def _jsonable(value: Any) -> Any:
    """``value`` if JSON can hold it, its repr otherwise (evidence must never break a run)."""
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return repr(value)


def record_payload(body: bytes | str, headers: Mapping[str, str], target_url: str) -> None:
    """The exact bytes POSTed to the gateway, with their headers (signature included) and URL."""
    ev = _current
    if ev is not None:
        item = {"target_url": target_url, "headers": dict(headers), "body": _body(body)}
        _append("payloads", ev.payloads, item)


def record_answer(status: int, body: bytes | str | None = None) -> None:
    """The gateway's HTTP answer to the last payload (status and body)."""
    ev = _current
    if ev is not None:
        _append("answers", ev.answers, {"status": int(status), "body": _body(body)})


def record_graph_calls(calls: Iterable[Mapping[str, Any]]) -> None:
    """Calls the fake Graph API recorded (method, path, body, answer ...), as JSON-ready dicts."""
    ev = _current
    if ev is not None:
        for call in calls:
            _append("graph_calls", ev.graph_calls, {k: _jsonable(v) for k, v in call.items()})


def record_logs(lines: Iterable[str]) -> None:
    """Gateway log lines relevant to the scenario (those of its correlation ids)."""
    ev = _current
    if ev is None:
        return
    for line in lines:
        if len(ev.logs) >= MAX_LOG_LINES:
            ev.dropped["logs"] = ev.dropped.get("logs", 0) + 1
        else:
            ev.logs.append(str(line).rstrip("\n"))


def exercised(
    event_name: str | None = None,
    dialect: str | None = None,
    channel: str | None = None,
    graph_error_code: int | str | None = None,
) -> None:
    """Mark a catalogue event (and dialect / channel) or a Graph error code as exercised."""
    ev = _current
    if ev is None:
        return
    if event_name is None and graph_error_code is None and channel is None:
        raise ValueError("exercised() needs event_name, channel or graph_error_code")
    mark = {
        "event": event_name,
        "dialect": dialect,
        "channel": channel,
        "graph_error_code": None if graph_error_code is None else str(graph_error_code),
    }
    if mark not in ev.exercised:
        ev.exercised.append(mark)


def on_failure(hook: Callable[[], Iterable[str]]) -> None:
    """Register ``hook`` to fetch log lines if the scenario fails (called before teardown)."""
    ev = _current
    if ev is not None:
        ev.failure_hooks.append(hook)


def not_applicable(reason: str) -> None:
    """Stop the scenario as not applicable to this target (reported apart from skips)."""
    import pytest

    pytest.skip(NOT_APPLICABLE_PREFIX + reason)
