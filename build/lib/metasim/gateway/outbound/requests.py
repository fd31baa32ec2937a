"""Graph send bodies (WhatsApp Cloud API, Messenger / Instagram Send API) for any message type."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from metasim.gateway.tenants import Client

# docs/meta-contract.md §k: a business-scoped user id is addressed with "recipient", a phone with "to"
BSUID = re.compile(r"^[A-Z]{2}\.(ENT\.)?[0-9]{5,40}$")
WA_TYPES = (
    "text",
    "image",
    "audio",
    "video",
    "document",
    "sticker",
    "template",
    "interactive",
    "reaction",
    "location",
    "contacts",
)
MSGR_TYPES = ("text", "attachment", "quick_replies")
# WA keys a caller may give beside the type's own object
WA_EXTRA = ("context", "biz_opaque_callback_data")
MSGR_EXTRA = ("quick_replies", "messaging_type", "tag", "metadata")


class MessageError(ValueError):
    """A message the gateway will not send: ``field`` names where, the text says what to do."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


def graph_request(
    channel: str,
    client: Client,
    send_url_base: str,
    tenant_id: str | None,
    to: str,
    message: dict[str, Any],
) -> tuple[str, dict[str, Any]]:
    """(url, body) of the Graph POST sending ``message`` to ``to`` from ``tenant_id``.

    ``message`` is ``{"type": <t>, <t>: {...}}`` in WhatsApp's own shape on every channel
    (``{"type": "text", "text": {"body": "Bonjour"}}``), plus ``context`` on WhatsApp and
    ``quick_replies`` / ``messaging_type`` / ``tag`` on Messenger and Instagram, whose
    ``attachment`` type takes the Send API's ``{"type", "payload"}`` object.
    """
    sender = tenant_id or _only_id(client, channel)
    url = f"{send_url_base.rstrip('/')}/{sender}/messages"
    if channel == "wa":
        return url, _wa_body(to, message)
    if channel in ("ig", "msg"):
        return url, _msgr_body(to, message)
    raise MessageError("channel", f"{channel!r} is not one of wa, ig, msg")


def _only_id(client: Client, channel: str) -> str:
    ids = client.channels.get(channel, ())
    if len(ids) != 1:
        raise MessageError(
            "from", f"client {client.client_id} has {len(ids)} {channel} ids: name one"
        )
    return ids[0]


def _type(message: dict[str, Any], allowed: tuple[str, ...]) -> str:
    kind = message.get("type", "text")
    if kind not in allowed:
        raise MessageError("message.type", f"{kind!r} is not one of {', '.join(allowed)}")
    return str(kind)


def _unknown(message: dict[str, Any], kind: str, extra: tuple[str, ...]) -> None:
    for key in message:
        if key not in ("type", kind, *extra):
            raise MessageError(f"message.{key}", f"unexpected for type {kind}")


def _wa_body(to: str, message: dict[str, Any]) -> dict[str, Any]:
    kind = _type(message, WA_TYPES)
    if kind not in message:
        raise MessageError(f"message.{kind}", f"required for type {kind}")
    _unknown(message, kind, WA_EXTRA)
    body: dict[str, Any] = {"messaging_product": "whatsapp", "recipient_type": "individual"}
    body["recipient" if BSUID.match(to) else "to"] = to
    body["type"] = kind
    body[kind] = message[kind]
    for key in WA_EXTRA:
        if key in message:
            body[key] = message[key]
    return body


def _msgr_body(to: str, message: dict[str, Any]) -> dict[str, Any]:
    kind = _type(message, MSGR_TYPES)
    _unknown(message, kind, (*MSGR_EXTRA, "text", "attachment"))
    out: dict[str, Any] = {}
    if kind in ("text", "quick_replies"):
        text = message.get("text")
        if isinstance(text, dict):
            text = text.get("body")
        if not isinstance(text, str) or not text:
            raise MessageError("message.text.body", f"a non-empty string is required for {kind}")
        out["text"] = text
    else:
        if "attachment" not in message:
            raise MessageError("message.attachment", "required for type attachment")
        out["attachment"] = message["attachment"]
    if kind == "quick_replies" and "quick_replies" not in message:
        raise MessageError("message.quick_replies", "required for type quick_replies")
    for key in ("quick_replies", "metadata"):
        if key in message:
            out[key] = message[key]
    body: dict[str, Any] = {
        "recipient": {"id": to},
        "messaging_type": message.get("messaging_type", "RESPONSE"),
        "message": out,
    }
    if "tag" in message:
        body["tag"] = message["tag"]
    return body
