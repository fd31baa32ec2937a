"""What every channel parser returns, and the small helpers they share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from metasim.gateway.parsers.timestamps import TimestampError, now_iso, to_iso


class ParseError(ValueError):
    """The body as a whole cannot be read as this channel's webhook."""


@dataclass(frozen=True)
class Meta:
    """Facts about the POST that every envelope of it carries."""

    channel: str
    received_at: float
    correlation_id: str


@dataclass
class Update:
    """One entry / change / message of a webhook body.

    ``envelope`` is the canonical envelope when the update is a message-like event (even a
    non-processable one such as a deleted message, so it can be validated and logged);
    ``processable`` says whether it goes down the pipeline to a reply. ``kind`` names what it
    is for the counters: ``message``, or the ignored kind (status, echo, read, delivery,
    reaction_removed, deleted, edit, system, mention, error, standby, ...).
    ``where`` is its JSON path in the body, for logs and quarantine.
    """

    kind: str
    where: str
    raw: Any
    envelope: dict[str, Any] | None = None
    processable: bool = False
    tenant_id: str | None = None

    @property
    def msg_id(self) -> str | None:
        return None if self.envelope is None else self.envelope.get("msg_id")


def iso(value: Any) -> Any:
    """ISO 8601 UTC for a Meta timestamp; the raw value is kept when unreadable, so the
    contract stage rejects the envelope (and quarantines it) instead of the parser crashing."""
    try:
        return to_iso(value)
    except TimestampError:
        return value if isinstance(value, str) else repr(value)


def envelope(
    meta: Meta,
    *,
    msg_id: Any,
    sender: Any,
    timestamp: Any,
    type_: str,
    text: Any = "",
    attachments: list[dict[str, Any]] | None = None,
    raw_meta: Any = None,
    reply_to: Any = None,
    tenant_id: Any = None,
    **extra: Any,
) -> dict[str, Any]:
    """A canonical envelope (payloads/schemas/envelope.schema.json); optional fields only when set."""
    env: dict[str, Any] = {
        "provider": meta.channel,
        "msg_id": msg_id if isinstance(msg_id, str) else ("" if msg_id is None else str(msg_id)),
        "from": sender if isinstance(sender, str) else ("" if sender is None else str(sender)),
        "text": text if isinstance(text, str) else ("" if text is None else str(text)),
        "timestamp": iso(timestamp),
        "type": type_,
        "attachments": attachments or [],
        "raw_meta": raw_meta if isinstance(raw_meta, dict) else {},
        "correlation_id": meta.correlation_id,
        "received_at": now_iso(meta.received_at),
        "reply_to": reply_to if isinstance(reply_to, str) and reply_to else None,
    }
    if isinstance(tenant_id, str) and tenant_id:
        env["tenant_id"] = tenant_id
    for key, value in extra.items():
        if value is not None:
            env[key] = value
    return env


def as_list(value: Any) -> list[Any]:
    """``value`` when it is a list, else an empty list (Meta's arrays may be absent)."""
    return value if isinstance(value, list) else []


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` when it is an object, else an empty dict."""
    return value if isinstance(value, dict) else {}


def id_of(value: Any) -> str | None:
    """``value["id"]`` as a string when present (sender / recipient objects)."""
    got = as_dict(value).get("id")
    if got is None:
        return None
    return got if isinstance(got, str) else str(got)
