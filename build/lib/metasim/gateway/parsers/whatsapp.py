"""WhatsApp Cloud API webhook -> updates, both dialects (classic wa_id, BSUID) (docs/meta-contract.md §a, §k).

https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages
"""

from __future__ import annotations

from typing import Any

from metasim.gateway.parsers.base import Meta, Update, as_dict, as_list, envelope

MEDIA_TYPES = ("image", "audio", "video", "document", "sticker")
KNOWN_TYPES = frozenset(
    {
        "text", "image", "audio", "video", "document", "sticker", "location", "contacts",
        "interactive", "button", "reaction", "order", "system", "unsupported", "request_welcome",
    }
)  # fmt: skip
# Message types that are acknowledged and logged but get no reply: a number or id change is a
# notice from WhatsApp, and request_welcome (the user opened the chat) carries nothing said.
NOT_PROCESSED = {"system": "system", "request_welcome": "request_welcome"}


def parse(payload: dict[str, Any], meta: Meta) -> list[Update]:
    """Every message, status and error of every change of every entry, in order (P1-01)."""
    updates: list[Update] = []
    for e, entry in enumerate(as_list(payload.get("entry"))):
        for c, change in enumerate(as_list(as_dict(entry).get("changes"))):
            where = f"entry[{e}].changes[{c}]"
            change = as_dict(change)
            value = as_dict(change.get("value"))
            if change.get("field", "messages") != "messages":
                # account_update, template status, quality... : acknowledged, not messages
                updates.append(Update(kind=str(change.get("field")), where=where, raw=change))
                continue
            updates.extend(_value(value, where, meta))
    return updates


def _value(value: dict[str, Any], where: str, meta: Meta) -> list[Update]:
    tenant = as_dict(value.get("metadata")).get("phone_number_id")
    tenant = tenant if isinstance(tenant, str) else None
    out: list[Update] = []
    contacts = [as_dict(c) for c in as_list(value.get("contacts"))]
    for m, message in enumerate(as_list(value.get("messages"))):
        out.append(
            _message(as_dict(message), contacts, tenant, f"{where}.value.messages[{m}]", meta)
        )
    for s, status in enumerate(as_list(value.get("statuses"))):
        out.append(Update("status", f"{where}.value.statuses[{s}]", status, tenant_id=tenant))
    for r, error in enumerate(as_list(value.get("errors"))):
        out.append(Update("error", f"{where}.value.errors[{r}]", error, tenant_id=tenant))
    return out


def _contact(message: dict[str, Any], contacts: list[dict[str, Any]]) -> dict[str, Any]:
    """The contact describing this message's sender (by wa_id or BSUID, else the only one)."""
    sender, user_id = message.get("from"), message.get("from_user_id")
    for contact in contacts:
        if (sender and contact.get("wa_id") == sender) or (
            user_id and contact.get("user_id") == user_id
        ):
            return contact
    return contacts[0] if len(contacts) == 1 else {}


def _message(
    message: dict[str, Any],
    contacts: list[dict[str, Any]],
    tenant: str | None,
    where: str,
    meta: Meta,
) -> Update:
    contact = _contact(message, contacts)
    # a user_changed_user_id notice names the user only inside system{} (no from, no contacts)
    user_id = (
        message.get("from_user_id")
        or contact.get("user_id")
        or as_dict(message.get("system")).get("user_id")
    )
    # BSUID dialect: a user with a username may come without a phone number; the BSUID is
    # then the only id, so it becomes ``from`` (and a reply addresses it as ``recipient``).
    sender = message.get("from") or contact.get("wa_id") or user_id
    mtype = message.get("type")
    ctype = mtype if mtype in KNOWN_TYPES else "unsupported"
    body = as_dict(message.get(mtype)) if isinstance(mtype, str) else {}
    username = as_dict(contact.get("profile")).get("username")
    env = envelope(
        meta,
        msg_id=message.get("id"),
        sender=sender,
        timestamp=message.get("timestamp"),
        type_=ctype,
        text=_text(ctype, body, message),
        attachments=_attachments(ctype, body),
        raw_meta=message,
        reply_to=as_dict(message.get("context")).get("id"),
        tenant_id=tenant,
        dialect=_dialect(message.get("from") or contact.get("wa_id"), user_id),
        user_id=user_id if isinstance(user_id, str) else None,
        username=username if isinstance(username, str) and username else None,
    )
    kind, processable = "message", True
    if ctype in NOT_PROCESSED:
        kind, processable = NOT_PROCESSED[ctype], False
    elif message.get("group_id"):
        # a group message: this gateway answers one-to-one chats only; a private reply to a
        # group participant would leak the conversation out of the group
        kind, processable = "group", False
    elif ctype == "reaction" and not body.get("emoji"):
        # a removed reaction: emoji omitted (or "" in older docs) (docs/meta-contract.md §a ⚠)
        kind, processable = "reaction_removed", False
    return Update(kind, where, message, env, processable, tenant)


def _dialect(phone: Any, user_id: Any) -> str:
    """classic (phone only), bsuid (business-scoped id only) or dual (both, today's payload)."""
    if phone and user_id:
        return "dual"
    return "bsuid" if user_id else "classic"


def _text(ctype: str, body: dict[str, Any], message: dict[str, Any]) -> str:
    if ctype == "text":
        return str(body.get("body") or "")
    if ctype in MEDIA_TYPES:
        return str(body.get("caption") or "")
    if ctype == "interactive":
        reply = as_dict(body.get(str(body.get("type"))))
        return str(reply.get("title") or reply.get("body") or "")
    if ctype == "button":
        return str(body.get("text") or body.get("payload") or "")
    if ctype == "reaction":
        return str(body.get("emoji") or "")
    if ctype == "location":
        return str(body.get("name") or body.get("address") or "")
    if ctype in ("order", "system"):
        return str(body.get("text") or body.get("body") or "")
    if ctype == "contacts":
        names = [
            as_dict(as_dict(c).get("name")).get("formatted_name")
            for c in as_list(message.get("contacts"))
        ]
        return ", ".join(n for n in names if isinstance(n, str))
    return ""


def _attachments(ctype: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    if ctype not in MEDIA_TYPES:
        return []
    item: dict[str, Any] = {"type": ctype}
    for src, dst in (
        ("id", "media_id"),
        ("url", "url"),
        ("mime_type", "mime_type"),
        ("sha256", "sha256"),
    ):
        if isinstance(body.get(src), str) and body[src]:
            item[dst] = body[src]
    if isinstance(body.get("caption"), str):
        item["caption"] = body["caption"]
    if isinstance(body.get("filename"), str) and body["filename"]:
        item["filename"] = body["filename"]
    return [item]
