"""Instagram webhook (``object = "instagram"``) -> updates: ``messaging[]`` and ``changes[]`` forms.

https://developers.facebook.com/docs/instagram-platform/webhooks/examples (docs/meta-contract.md §b)
"""

from __future__ import annotations

from typing import Any

from metasim.gateway.parsers import messaging
from metasim.gateway.parsers.base import Meta, Update, as_dict, as_list, envelope

COMMENT_FIELDS = ("comments", "live_comments")


def parse(payload: dict[str, Any], meta: Meta) -> list[Update]:
    """Every messaging event and every change of every entry, in order (P1-01)."""
    updates: list[Update] = []
    for e, entry in enumerate(as_list(payload.get("entry"))):
        entry = as_dict(entry)
        for m, ev in enumerate(as_list(entry.get("messaging"))):
            updates.append(messaging.event(ev, entry, f"entry[{e}].messaging[{m}]", meta))
        for c, change in enumerate(as_list(entry.get("changes"))):
            updates.append(_change(as_dict(change), entry, f"entry[{e}].changes[{c}]", meta))
    return updates


def _change(change: dict[str, Any], entry: dict[str, Any], where: str, meta: Meta) -> Update:
    field = change.get("field")
    value = as_dict(change.get("value"))
    tenant = str(entry["id"]) if entry.get("id") else None
    author = as_dict(value.get("from"))
    if field in COMMENT_FIELDS:
        # Facebook-Login payloads name the comment ``comment_id``, Instagram-Login ones ``id``
        env = envelope(
            meta,
            msg_id=value.get("comment_id") or value.get("id"),
            sender=author.get("id"),
            timestamp=entry.get("time"),  # changes carry no timestamp of their own
            type_="comment",
            text=value.get("text") or "",
            raw_meta=value,
            reply_to=value.get("parent_id"),
            tenant_id=tenant,
            username=author.get("username") or None,
        )
        return Update("message", where, change, env, True, tenant)
    if field == "mentions":
        # a mention names no author, only the media (and comment): "unknown" keeps `from`
        # honest; mentions are logged, not answered (a DM cannot answer them)
        env = envelope(
            meta,
            msg_id=value.get("comment_id") or value.get("media_id"),
            sender=author.get("id") or "unknown",
            timestamp=entry.get("time"),
            type_="mention",
            raw_meta=value,
            tenant_id=tenant,
        )
        return Update("mention", where, change, env, False, tenant)
    return Update(str(field or "unknown"), where, change, tenant_id=tenant)
