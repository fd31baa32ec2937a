"""Raw Meta webhook dict -> one Update per entry / change / message (one parser per channel)."""

from __future__ import annotations

from typing import Any

from metasim.gateway.parsers import instagram, messenger, whatsapp
from metasim.gateway.parsers.base import Meta, ParseError, Update

OBJECTS = {"whatsapp_business_account": "wa", "instagram": "ig", "page": "msg"}
CHANNEL_OBJECT = {channel: obj for obj, channel in OBJECTS.items()}
_PARSERS = {"wa": whatsapp.parse, "ig": instagram.parse, "msg": messenger.parse}

__all__ = ["CHANNEL_OBJECT", "OBJECTS", "ParseError", "Update", "parse"]


def parse(channel: str, payload: Any, *, received_at: float, correlation_id: str) -> list[Update]:
    """Every update of one webhook body, in Meta's order; each is handled independently (P1-01)."""
    if not isinstance(payload, dict) or not isinstance(payload.get("entry"), list):
        raise ParseError('body must be an object with an "entry" array')
    meta = Meta(channel=channel, received_at=received_at, correlation_id=correlation_id)
    return _PARSERS[channel](payload, meta)
