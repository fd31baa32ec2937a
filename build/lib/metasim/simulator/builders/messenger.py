"""Messenger builders: catalogue sample -> fresh payload, and the delivery / read receipts Meta sends."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from metasim.simulator.builders import _messaging
from metasim.simulator.context import BuildContext

Payload = dict[str, Any]
OBJECT = "page"
CHANNEL = "msg"


def refresh(payload: Mapping[str, Any], ctx: BuildContext, *, dialect: str = "classic") -> Payload:
    """A new Messenger webhook from ``payload``: fresh mids (``m_...``), PSID, ms timestamps,
    watermarks just before the event, entry.id / recipient.id = ``ctx.tenant.page_id``;
    echoes keep the Page as sender. Only the ``classic`` dialect exists (ValueError otherwise).
    """
    _messaging.check_dialect(CHANNEL, dialect)
    out, _, _ = _messaging.refresh(
        payload, ctx, object_name=OBJECT, business_id=ctx.tenant.page_id, new_mid=ctx.mid
    )
    return out


def delivery_payload(
    ctx: BuildContext, *, mids: Sequence[str], psid: str, page_id: str | None = None
) -> Payload:
    """The message_deliveries webhook for Page messages ``mids`` delivered to ``psid``.

    Like Meta's example it has no event ``timestamp`` (docs/meta-contract.md §c ⚠); ``watermark`` is
    now: everything the Page sent before it is delivered. An empty ``mids`` omits the key,
    which Meta documents as possible ("may not be present").
    """
    page = _messaging.require_id("page_id", page_id or ctx.tenant.page_id)
    user = _messaging.require_id("psid", psid)
    if isinstance(mids, str) or not isinstance(mids, Sequence):
        raise ValueError(f"mids must be a list of message ids, got {mids!r}")
    delivered = [_messaging.require_mid(f"mids[{i}]", mid) for i, mid in enumerate(mids)]
    times = _messaging.Times.now(ctx)
    delivery: dict[str, Any] = {"watermark": times.event}
    if delivered:
        delivery = {"mids": delivered, **delivery}
    event = {"sender": {"id": user}, "recipient": {"id": page}, "delivery": delivery}
    return _messaging.single_event(OBJECT, page, times, event)


def read_payload(
    ctx: BuildContext, *, psid: str, page_id: str | None = None, watermark: int | None = None
) -> Payload:
    """The message_reads webhook: ``psid`` read every Page message sent at or before ``watermark``
    (epoch ms; default: the read event's own time, i.e. everything sent so far)."""
    page = _messaging.require_id("page_id", page_id or ctx.tenant.page_id)
    user = _messaging.require_id("psid", psid)
    times = _messaging.Times.now(ctx)
    if watermark is None:
        watermark = times.event
    elif isinstance(watermark, bool) or not isinstance(watermark, int) or watermark < 10**12:
        raise ValueError(
            f"watermark must be epoch milliseconds (an int >= 10**12), got {watermark!r}"
        )
    return _messaging.read_receipt(OBJECT, page, user, times, {"watermark": watermark})


# The app id Meta puts on echoes of this app's sends (an int, as in Meta's example).
ECHO_APP_ID = 1517776481860111


def echo_payload(
    ctx: BuildContext,
    *,
    mid: str,
    psid: str,
    page_id: str | None = None,
    message: Mapping[str, Any] | None = None,
) -> Payload:
    """The message_echoes webhook for the Page's own message ``mid`` to ``psid``."""
    page = _messaging.require_id("page_id", page_id or ctx.tenant.page_id)
    user = _messaging.require_id("psid", psid)
    times = _messaging.Times.now(ctx)
    return _messaging.echo_payload(
        OBJECT, page, user, times, mid=_messaging.require_mid("mid", mid), sent=message,
        app_id=ECHO_APP_ID,
    )  # fmt: skip
