"""Messenger webhook (``object = "page"``) -> updates: ``messaging[]`` and ``standby[]``.

https://developers.facebook.com/docs/messenger-platform/webhooks (docs/meta-contract.md §c)
"""

from __future__ import annotations

from typing import Any

from metasim.gateway.parsers import messaging
from metasim.gateway.parsers.base import Meta, Update, as_dict, as_list


def parse(payload: dict[str, Any], meta: Meta) -> list[Update]:
    """Every messaging event of every entry, in order; Meta's samples read only ``messaging[0]``
    but batching is possible, so all of them are read (P1-01)."""
    updates: list[Update] = []
    for e, entry in enumerate(as_list(payload.get("entry"))):
        entry = as_dict(entry)
        for m, ev in enumerate(as_list(entry.get("messaging"))):
            updates.append(messaging.event(ev, entry, f"entry[{e}].messaging[{m}]", meta))
        for s, ev in enumerate(as_list(entry.get("standby"))):
            # handover protocol: another app owns the thread, so this app must not answer; the
            # event still becomes an envelope (logged, validated) like any messaging event
            update = messaging.event(ev, entry, f"entry[{e}].standby[{s}]", meta)
            update.kind, update.processable = "standby", False
            updates.append(update)
    return updates
