"""Hypothesis strategies from payloads/schemas (hypothesis-jsonschema), spliced into real samples."""

from __future__ import annotations

import copy
import functools
import json
from typing import Any

from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from metasim.simulator.catalogue import build
from metasim.simulator.context import BuildContext
from metasim.simulator.schemas import schema

# Leaf $defs hypothesis-jsonschema resolves quickly. The whole webhook schemas are out of its
# reach: their entry/event defs take minutes to canonicalise and the WhatsApp/Instagram ones
# $ref other files, which it refuses to fetch. So each leaf is generated from our schema and
# spliced into a complete catalogue sample, keeping the envelope routable to a tenant.
MESSENGER_FIELDS = ("postback", "delivery", "read", "referral", "optin", "reaction", "message_edit")
WHATSAPP_TYPES = ("text", "location", "button", "system", "unsupported", "referral")


def _leaf(schema_name: str, name: str) -> st.SearchStrategy[Any]:
    whole = schema(schema_name)
    return from_schema({**whole["$defs"][name], "$defs": whole["$defs"]})


@functools.cache
def _messenger(field: str) -> st.SearchStrategy[dict[str, Any]]:
    base = build("msg.text", BuildContext.seeded(1))

    def splice(value: Any) -> dict[str, Any]:
        doc = copy.deepcopy(base)
        event = doc["entry"][0]["messaging"][0]
        event.pop("message", None)
        event[field] = value
        return doc

    return _leaf("messenger/webhook", field).map(splice)


@functools.cache
def _whatsapp(kind: str) -> st.SearchStrategy[dict[str, Any]]:
    base = build("wa.text", BuildContext.seeded(2))

    def splice(value: Any) -> dict[str, Any]:
        doc = copy.deepcopy(base)
        message = doc["entry"][0]["changes"][0]["value"]["messages"][0]
        message.pop("text", None)
        message["type"] = kind
        message[kind] = value
        return doc

    return _leaf("whatsapp/message", kind).map(splice)


def schema_events() -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
    """(webhook path, payload) with one part generated from our JSON schemas."""
    msg = st.sampled_from(MESSENGER_FIELDS).flatmap(_messenger).map(lambda d: ("/webhook/msg", d))
    wa = st.sampled_from(WHATSAPP_TYPES).flatmap(_whatsapp).map(lambda d: ("/webhook/wa", d))
    return st.one_of(msg, wa)


def wire(payload: dict[str, Any], ascii_only: bool) -> bytes:
    """Meta's escaped-ASCII bytes, or raw UTF-8 (surrogates escaped: they are not encodable)."""
    if ascii_only:
        return json.dumps(payload, separators=(",", ":")).replace("/", "\\/").encode()
    return json.dumps(payload, ensure_ascii=False).encode("utf-8", "surrogatepass")
