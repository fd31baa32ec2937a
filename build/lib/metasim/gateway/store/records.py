"""Conversions between stored rows (SQLite columns, Redis hash fields) and contract records."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from metasim.gateway.store.base import OutboxItem


class SnapshotError(ValueError):
    """A file given to ``restore`` is missing or is not a snapshot this backend wrote."""


# the reason an item still inflight after its lease ended is dead-lettered with (docs/architecture.md)
INFLIGHT_AT_CRASH = "inflight-at-crash"


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def item_from_row(row: Mapping[str, Any]) -> OutboxItem:
    """An OutboxItem from a row whose values may be str, bytes (Redis) or numbers (SQLite)."""
    last_error = row.get("last_error")
    return OutboxItem(
        key=_text(row["key"]),
        channel=_text(row["channel"]),
        client_id=_text(row["client_id"]),
        url=_text(row["url"]),
        body=json.loads(row["body"]),
        correlation_id=_text(row["correlation_id"]),
        msg_id=_text(row["msg_id"]),
        attempts=int(row["attempts"]),
        next_attempt_at=float(row["next_attempt_at"]),
        last_error=None if last_error in (None, b"", "") else _text(last_error),
        created_at=float(row["created_at"]),
        state=_text(row["state"]),
    )


def item_to_fields(item: OutboxItem, state: str) -> dict[str, str | float | int]:
    """The hash fields an OutboxItem is kept as in Redis."""
    return {
        "key": item.key,
        "channel": item.channel,
        "client_id": item.client_id,
        "url": item.url,
        "body": json.dumps(item.body),
        "correlation_id": item.correlation_id,
        "msg_id": item.msg_id,
        "attempts": item.attempts,
        "next_attempt_at": repr(item.next_attempt_at),
        "last_error": item.last_error or "",
        "created_at": repr(item.created_at),
        "state": state,
    }
