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
    # what a person wrote or chose, whatever the type: a caption, a button's or list row's
    # title, a quick reply's text; None when the message carries no words
    content: str | None = None


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
                yield Inbound(msg.get("id", ""), sender, text, kind, _wa_content(kind, msg))


def _messaging(payload: dict[str, Any]) -> Iterator[Inbound]:
    for entry in payload.get("entry", []):
        for event in entry.get("messaging", []) or []:
            sender = event.get("sender", {}).get("id", "")
            message = event.get("message")
            if message is not None:
                if message.get("is_echo") or message.get("is_deleted"):
                    continue
                kind = "text" if "text" in message and "attachments" not in message else "media"
                text = message.get("text")
                yield Inbound(message.get("mid", ""), sender, text, kind, text)
            elif "postback" in event:
                yield Inbound(event["postback"].get("mid", ""), sender, None, "postback")


def _wa_content(kind: str, msg: dict[str, Any]) -> str | None:
    """The words of a WhatsApp message, read from Meta's own fields for its type."""
    body = msg.get(kind)
    if not isinstance(body, dict):
        return None
    if kind == "text":
        found = body.get("body")
    elif kind in ("image", "video", "document", "audio", "sticker"):
        found = body.get("caption")
    elif kind == "interactive":
        chosen = body.get(str(body.get("type")))
        found = chosen.get("title") if isinstance(chosen, dict) else None
    elif kind == "button":
        found = body.get("text")
    elif kind == "location":
        found = body.get("name") or body.get("address")
    elif kind == "reaction":
        found = body.get("emoji")
    else:
        found = None
    return found if isinstance(found, str) and found else None


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


# Keys whose values name a user (never the business): WhatsApp phone and business-scoped ids,
# status recipients, a system message's new number; Messenger / Instagram sender and recipient.
USER_KEYS = frozenset(
    {"from", "from_user_id", "wa_id", "user_id", "recipient_id", "recipient_user_id", "new_wa_id"}
)
PARTY_KEYS = frozenset({"sender", "recipient", "from"})


def users(payload: Any, business_ids: frozenset[str] = frozenset()) -> set[str]:
    """Every user id a webhook names, anywhere in it, minus the business's own ids.

    A scenario owns these users: whatever the gateway sends to them belongs to that scenario,
    whether the sample carries a message, a status, an echo or a receipt.
    """
    found: set[str] = set()

    def walk(node: Any, parent: str | None) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, str | int) and not isinstance(value, bool):
                    if key in USER_KEYS or (key == "id" and parent in PARTY_KEYS):
                        found.add(str(value))
                else:
                    walk(value, key)
        elif isinstance(node, list):
            for item in node:
                walk(item, parent)

    walk(payload, None)
    return found - business_ids


def business_senders(payload: Any, business_ids: frozenset[str]) -> set[str]:
    """Business ids that send events of this webhook (echoes, ``is_self``): a reply to such an
    event goes to the business itself."""
    found: set[str] = set()
    if not isinstance(payload, dict):
        return found
    for entry in payload.get("entry", []) or []:
        for event in (entry.get("messaging") or []) if isinstance(entry, dict) else []:
            sender = event.get("sender") if isinstance(event, dict) else None
            if isinstance(sender, dict) and str(sender.get("id")) in business_ids:
                found.add(str(sender["id"]))
    return found
