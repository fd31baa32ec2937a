"""Instagram builders: catalogue sample -> fresh payload (messaging[] and changes[]), and seen receipts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from metasim.simulator.builders import _messaging
from metasim.simulator.context import BuildContext

Payload = dict[str, Any]
OBJECT = "instagram"
CHANNEL = "ig"
# Real IG mids are url-safe base64 of an "ig_message_item" key and start like this; consumers
# treat them as opaque, but a realistic prefix keeps logs and reports recognisable.
IG_MID_PREFIX = "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOj"
COMMENT_FIELDS = ("comments", "live_comments")


def new_mid(ctx: BuildContext) -> str:
    """A fresh Instagram message id."""
    return ctx.mid(IG_MID_PREFIX)


def _comment_id(ctx: BuildContext) -> str:
    return ctx.digits(17)  # IG comment / media ids are 17-18 digit numbers


def _refresh_change(change: dict[str, Any], ctx: BuildContext, user_id: str) -> None:
    value = change.get("value")
    if not isinstance(value, dict):
        return
    field = change.get("field")
    if field in COMMENT_FIELDS:
        # Facebook Login names the comment comment_id, Instagram Login id: refresh whichever is there.
        for key in ("id", "comment_id", "parent_id"):
            if key in value:
                value[key] = _comment_id(ctx)
        sender = value.get("from")
        if isinstance(sender, dict):
            sender["id"] = user_id
            if "self_ig_scoped_id" in sender:  # Facebook Login adds a second, scoped id
                sender["self_ig_scoped_id"] = ctx.psid()
    elif field == "mentions" and "comment_id" in value:
        value["comment_id"] = _comment_id(ctx)


def refresh(payload: Mapping[str, Any], ctx: BuildContext, *, dialect: str = "classic") -> Payload:
    """A new Instagram webhook from ``payload``: fresh mids, IGSID, ms timestamps, comment ids,
    entry.id / recipient.id = ``ctx.tenant.ig_account_id``; echoes keep the account as sender;
    an entry.time in seconds (the mentions example) stays in seconds. Only ``classic`` exists.
    """
    _messaging.check_dialect(CHANNEL, dialect)
    out, user_id, _ = _messaging.refresh(
        payload,
        ctx,
        object_name=OBJECT,
        business_id=ctx.tenant.ig_account_id,
        new_mid=lambda: new_mid(ctx),
    )
    for entry in out["entry"]:
        for change in entry.get("changes") or []:
            if isinstance(change, dict):
                _refresh_change(change, ctx, user_id)
    return out


def read_payload(ctx: BuildContext, *, mid: str, igsid: str, ig_id: str | None = None) -> Payload:
    """The messaging_seen webhook: user ``igsid`` saw the account's message ``mid``
    (Instagram names the mid, it has no watermark)."""
    account = _messaging.require_id("ig_id", ig_id or ctx.tenant.ig_account_id)
    user = _messaging.require_id("igsid", igsid)
    seen = _messaging.require_mid("mid", mid)
    times = _messaging.Times.now(ctx)
    return _messaging.read_receipt(OBJECT, account, user, times, {"mid": seen})


def echo_payload(
    ctx: BuildContext,
    *,
    mid: str,
    igsid: str,
    ig_id: str | None = None,
    message: Mapping[str, Any] | None = None,
) -> Payload:
    """The echo of the account's own message ``mid`` to ``igsid``: Instagram delivers it on the
    ``messages`` field (no separate echo subscription), sender = the account."""
    account = _messaging.require_id("ig_id", ig_id or ctx.tenant.ig_account_id)
    user = _messaging.require_id("igsid", igsid)
    times = _messaging.Times.now(ctx)
    return _messaging.echo_payload(
        OBJECT, account, user, times, mid=_messaging.require_mid("mid", mid), sent=message
    )
