"""Read a built sample the way Meta means it: its messages, senders and texts, per channel."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

# Where each channel keeps the text of a plain text message (override paths for the builders).
TEXT_PATH = {
    "wa": "entry.0.changes.0.value.messages.0.text.body",
    "ig": "entry.0.messaging.0.message.text",
    "msg": "entry.0.messaging.0.message.text",
}
TIMESTAMP_PATH = {
    "wa": "entry.0.changes.0.value.messages.0.timestamp",
    "ig": "entry.0.messaging.0.timestamp",
    "msg": "entry.0.messaging.0.timestamp",
}
# WhatsApp updates in messages[] that are not something to answer (docs/meta-contract.md §a, P1-02)
WA_NOT_ANSWERED = frozenset({"system", "request_welcome"})


@dataclass(frozen=True)
class Inbound:
    """One user message inside a webhook: what a gateway must answer exactly once."""

    msg_id: str
    sender: str
    text: str | None
    type: str


def _wa(payload: dict[str, Any]) -> Iterator[Inbound]:
    for entry in payload.get("entry", []):
        for change in entry.get("changes", []):
            for msg in change.get("value", {}).get("messages", []) or []:
                kind = msg.get("type", "")
                if kind in WA_NOT_ANSWERED or msg.get("group_id"):
                    continue  # notices, and group messages (answered in the group, not 1:1)
                if kind == "reaction" and not msg.get("reaction", {}).get("emoji"):
                    continue  # a removed reaction is not a message to answer
                sender = msg.get("from") or msg.get("from_user_id") or ""
                text = msg.get("text", {}).get("body") if kind == "text" else None
                yield Inbound(msg.get("id", ""), sender, text, kind)


def _messaging(payload: dict[str, Any]) -> Iterator[Inbound]:
    for entry in payload.get("entry", []):
        for event in entry.get("messaging", []) or []:
            sender = event.get("sender", {}).get("id", "")
            message = event.get("message")
            if message is not None:
                if message.get("is_echo") or message.get("is_deleted"):
                    continue
                kind = "text" if "text" in message and "attachments" not in message else "media"
                yield Inbound(message.get("mid", ""), sender, message.get("text"), kind)
            elif "postback" in event:
                yield Inbound(event["postback"].get("mid", ""), sender, None, "postback")


def inbound(payload: dict[str, Any]) -> list[Inbound]:
    """Every user message of the webhook, over all entries, changes and messages (P1-01)."""
    if payload.get("object") == "whatsapp_business_account":
        return list(_wa(payload))
    return list(_messaging(payload))


def first(payload: dict[str, Any]) -> Inbound:
    """The first user message; a clear error for samples that carry none (statuses, echoes)."""
    found = inbound(payload)
    if not found:
        raise AssertionError("this sample carries no user message (status, echo, read ...)")
    return found[0]
