"""The ``messaging[]`` events Instagram and Messenger share (sender, recipient, timestamp, event).

https://developers.facebook.com/docs/messenger-platform/webhooks ,
https://developers.facebook.com/docs/instagram-platform/webhooks/examples
"""

from __future__ import annotations

from typing import Any

from metasim.gateway.parsers.base import Meta, Update, as_dict, as_list, envelope, id_of

# attachment type as Meta sends it -> canonical envelope type (envelope.schema.json "type")
ATTACHMENT_TYPES = {
    "image": "image",
    "sticker": "sticker",
    "audio": "audio",
    "video": "video",
    "file": "file",
    "reel": "reel",
    "ig_reel": "reel",
    "share": "share",
    "post": "share",
    "ig_post": "share",
    "media": "share",
    "story": "share",
    "ig_story": "share",
    "story_mention": "story_mention",
    "fallback": "fallback",
    "template": "template",
    "appointment_booking": "template",
}
# events that are receipts or notices: acknowledged and counted, never a reply (P1-02)
RECEIPTS = ("read", "delivery")


def event(ev: Any, entry: dict[str, Any], where: str, meta: Meta) -> Update:
    """One messaging event as an Update (message, postback, reaction, receipt, ...)."""
    ev = as_dict(ev)
    # entry.id is the Page / IG account the webhook is for; recipient.id is the same id on
    # inbound events, and the only one left if a proxy dropped entry.id
    tenant = _str(entry.get("id")) or id_of(ev.get("recipient"))
    sender = id_of(ev.get("sender"))
    stamp = ev.get("timestamp", entry.get("time"))

    def env(type_: str, msg_id: Any, **kw: Any) -> dict[str, Any]:
        return envelope(
            meta, msg_id=msg_id, sender=sender, timestamp=stamp, type_=type_, raw_meta=ev,
            tenant_id=tenant, **kw,
        )  # fmt: skip

    if "message" in ev:
        return _message(as_dict(ev["message"]), env, tenant, where, ev)
    if "postback" in ev:
        pb = as_dict(ev["postback"])
        msg_id = pb.get("mid") or f"postback:{sender}:{stamp}"
        text = pb.get("payload") or pb.get("title") or ""
        return Update("message", where, ev, env("postback", msg_id, text=text), True, tenant)
    if "reaction" in ev:
        return _reaction(as_dict(ev["reaction"]), env, tenant, where, ev, stamp)
    if "referral" in ev:
        ref = as_dict(ev["referral"])
        msg_id = f"referral:{sender}:{stamp}"
        text = ref.get("ref") or ""
        return Update("message", where, ev, env("referral", msg_id, text=text), True, tenant)
    if "optin" in ev:
        opt = as_dict(ev["optin"])
        msg_id = f"optin:{sender}:{stamp}"
        text = opt.get("ref") or opt.get("payload") or ""
        return Update("message", where, ev, env("optin", msg_id, text=text), True, tenant)
    if "message_edit" in ev:
        edit = as_dict(ev["message_edit"])
        e = env("edit", edit.get("mid"), text=edit.get("text") or "")
        return Update("edit", where, ev, e, False, tenant)
    for receipt in RECEIPTS:
        if receipt in ev:
            return Update(receipt, where, ev, tenant_id=tenant)
    other = next((k for k in ev if k not in ("sender", "recipient", "timestamp")), "unknown")
    return Update(other, where, ev, tenant_id=tenant)


def _message(msg: dict[str, Any], env: Any, tenant: str | None, where: str, ev: Any) -> Update:
    if msg.get("is_echo"):
        # our own send coming back (message_echoes): replying would loop forever
        return Update("echo", where, ev, tenant_id=tenant)
    if msg.get("is_self"):
        # an Instagram account's test message to itself: no user to answer, and a reply
        # would come back as another is_self message
        return Update("self", where, ev, tenant_id=tenant)
    mid = msg.get("mid")
    text = msg.get("text") or ""
    reply = as_dict(msg.get("reply_to"))
    attachments = [_attachment(as_dict(a)) for a in as_list(msg.get("attachments"))]
    if msg.get("is_deleted"):
        return Update("deleted", where, ev, env("deleted", mid, text=text), False, tenant)
    if msg.get("is_unsupported"):
        return Update("message", where, ev, env("unsupported", mid, text=text), True, tenant)
    story = as_dict(reply.get("story"))
    if story:
        story_att = {"type": "story", **({"url": story["url"]} if story.get("url") else {})}
        e = env("story_reply", mid, text=text, attachments=[story_att, *attachments])
    elif msg.get("quick_reply"):
        e = env("quick_reply", mid, text=text, reply_to=reply.get("mid"))
    elif attachments:
        e = env(_type_of(as_list(msg.get("attachments"))), mid, text=text, attachments=attachments,
                reply_to=reply.get("mid"))  # fmt: skip
    else:
        e = env("text", mid, text=text, reply_to=reply.get("mid"))
    return Update("message", where, ev, e, True, tenant)


def _reaction(
    r: dict[str, Any], env: Any, tenant: str | None, where: str, ev: Any, stamp: Any
) -> Update:
    mid = r.get("mid")
    # reaction.mid is the *reacted-to* message: the reaction gets its own id so dedupe and the
    # one-reply-per-message outbox key do not mistake it for that message
    msg_id = f"{mid}:reaction:{stamp}" if mid else None
    e = env("reaction", msg_id, text=r.get("emoji") or r.get("reaction") or "", reply_to=mid)
    if r.get("action") == "unreact":
        return Update("reaction_removed", where, ev, e, False, tenant)
    return Update("message", where, ev, e, True, tenant)


def _attachment(a: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"type": _str(a.get("type")) or "unknown"}
    payload = as_dict(a.get("payload"))
    if isinstance(payload.get("url"), str) and payload["url"]:
        out["url"] = payload["url"]
    if isinstance(payload.get("title"), str):
        out["caption"] = payload["title"]
    return out


def _type_of(attachments: list[Any]) -> str:
    first = as_dict(attachments[0])
    kind = _str(first.get("type")) or ""
    for item in map(as_dict, attachments):
        # Messenger stickers: an image with a sticker_id (until mid-2026), then a sticker
        # attachment (alone since Aug 30 2026, beside the image during the transition); the
        # sticker_id may sit in the payload or on the attachment itself
        has_id = as_dict(item.get("payload")).get("sticker_id") or item.get("sticker_id")
        if item.get("type") == "sticker" or (item.get("type") == "image" and has_id):
            return "sticker"
    # an attachment type Meta adds later is logged as a fallback, not an error (forward-compatible)
    return ATTACHMENT_TYPES.get(kind, "fallback")


def _str(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)
