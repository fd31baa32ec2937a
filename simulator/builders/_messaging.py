"""Refresh logic shared by the two messaging[] channels (Instagram, Messenger): ids, sender, clock."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from metasim.simulator.context import BuildContext

Payload = dict[str, Any]
Event = dict[str, Any]
MidFactory = Callable[[], str]

# Only WhatsApp has a second (BSUID) dialect; IG / Messenger ids are page/account scoped already.
ALLOWED_DIALECTS = ("classic",)
# entry lists holding one messaging-shaped event each (standby: handover secondary receiver)
EVENT_LISTS = ("messaging", "standby")
# entry.time below this is epoch seconds (the IG mentions example, docs/meta-contract.md ⚠ 6), else ms.
_SECONDS_LIMIT = 10**11
# events whose object names an earlier message by mid (reaction to it, read up to it, edit of it)
_REFERENCING = ("reaction", "read", "message_edit")


def check_dialect(channel: str, dialect: str) -> None:
    """Raise ValueError unless ``dialect`` is one this channel comes in."""
    if dialect not in ALLOWED_DIALECTS:
        raise ValueError(
            f"{channel} payloads have no dialect {dialect!r}; allowed: {', '.join(ALLOWED_DIALECTS)} "
            "(the bsuid dialect exists for WhatsApp only)"
        )


@dataclass(frozen=True)
class Times:
    """The instants of one webhook, in epoch ms, ordered ``acked <= event <= sent``."""

    sent: int  # entry.time: when Meta sends the notification
    event: int  # messaging[].timestamp: when the user acted
    acked: int  # delivery / read watermark: when the acknowledged Page message went out

    @classmethod
    def now(cls, ctx: BuildContext) -> Times:
        """Times around ``ctx``'s clock; Meta's examples put timestamp a few hundred ms before time."""
        sent = ctx.epoch_millis()
        event = sent - ctx.rng.randint(120, 900)
        return cls(sent=sent, event=event, acked=event - ctx.rng.randint(800, 4000))


def _payload_entries(payload: Mapping[str, Any], object_name: str) -> list[dict[str, Any]]:
    if not isinstance(payload, Mapping) or payload.get("object") != object_name:
        found = payload.get("object") if isinstance(payload, Mapping) else type(payload).__name__
        raise ValueError(f"expected a webhook body with object {object_name!r}, got {found!r}")
    entries = payload.get("entry")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ValueError(f"{object_name} payload: 'entry' must be a list of objects")
    return entries


def _set_id(participant: Any, new_id: str) -> None:
    # The Chat Plugin identifies the user by user_ref instead of a PSID: leave that one alone.
    if isinstance(participant, dict) and ("id" in participant or "user_ref" not in participant):
        participant["id"] = new_id


def refresh_event(
    event: Event, *, business_id: str, user_id: str, new_mid: MidFactory, times: Times
) -> None:
    """Give one messaging[] / standby[] event (in place) fresh mids, parties and times."""
    message = event.get("message")
    is_echo = isinstance(message, dict) and message.get("is_echo") is True
    is_self = isinstance(message, dict) and message.get("is_self") is True
    # An echo is the business's own send: the business is the sender (docs/meta-contract.md);
    # an Instagram is_self test message has the account on both sides.
    _set_id(event.get("sender"), business_id if is_echo or is_self else user_id)
    _set_id(event.get("recipient"), user_id if is_echo and not is_self else business_id)
    if (
        "timestamp" in event
    ):  # absent on Messenger deliveries (docs/meta-contract.md §c ⚠): keep it absent
        event["timestamp"] = times.event
    if isinstance(message, dict):
        message["mid"] = new_mid()
        reply_to = message.get("reply_to")
        if isinstance(reply_to, dict) and "mid" in reply_to:
            reply_to["mid"] = new_mid()
    postback = event.get("postback")
    if isinstance(postback, dict) and "mid" in postback:
        postback["mid"] = new_mid()
    for key in _REFERENCING:
        target = event.get(key)
        if isinstance(target, dict) and "mid" in target:
            target["mid"] = new_mid()
    for key in ("delivery", "read"):
        receipt = event.get(key)
        if isinstance(receipt, dict) and "watermark" in receipt:
            receipt["watermark"] = times.acked
    delivery = event.get("delivery")
    if isinstance(delivery, dict) and isinstance(delivery.get("mids"), list):
        delivery["mids"] = [new_mid() for _ in delivery["mids"]]


def refresh(
    payload: Mapping[str, Any],
    ctx: BuildContext,
    *,
    object_name: str,
    business_id: str,
    new_mid: MidFactory,
) -> tuple[Payload, str, Times]:
    """A new payload: entries addressed to ``business_id``, every event refreshed for one fresh user.

    Returns the payload, the user id it uses and its times (channel builders refresh the
    rest, e.g. Instagram's changes[], with the same values).
    """
    out: Payload = copy.deepcopy(dict(payload))
    entries = _payload_entries(out, object_name)
    times = Times.now(ctx)
    user_id = ctx.psid()
    for entry in entries:
        entry["id"] = business_id
        old_time = entry.get("time")
        # Keep the sample's unit: a sample in seconds tests the gateway's seconds handling.
        seconds = isinstance(old_time, int) and old_time < _SECONDS_LIMIT
        entry["time"] = times.sent // 1000 if seconds else times.sent
        for key in EVENT_LISTS:
            for event in entry.get(key) or []:
                if not isinstance(event, dict):
                    raise ValueError(f"{object_name} payload: entry.{key} items must be objects")
                refresh_event(
                    event, business_id=business_id, user_id=user_id, new_mid=new_mid, times=times
                )
    return out, user_id, times


def single_event(object_name: str, business_id: str, times: Times, event: Event) -> Payload:
    """A one-entry, one-event webhook body as Meta sends receipts."""
    return {
        "object": object_name,
        "entry": [{"id": business_id, "time": times.sent, "messaging": [event]}],
    }


def read_receipt(
    object_name: str, business_id: str, user_id: str, times: Times, read: dict[str, Any]
) -> Payload:
    """The read webhook both Messenger and Instagram send: user -> business, ``read`` as given
    (Messenger puts a watermark in it, Instagram the mid that was seen)."""
    event = {
        "sender": {"id": user_id},
        "recipient": {"id": business_id},
        "timestamp": times.event,
        "read": read,
    }
    return single_event(object_name, business_id, times, event)


def require_id(name: str, value: Any) -> str:
    """``value`` as a Meta id (decimal string), or a ValueError naming the argument."""
    if not isinstance(value, str) or not value.isdigit():
        raise ValueError(f"{name} must be a Meta id (a string of digits), got {value!r}")
    return value


def require_mid(name: str, value: Any) -> str:
    """``value`` as a message id (non-empty string), or a ValueError naming the argument."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty message id string, got {value!r}")
    return value


def echo_payload(
    object_name: str,
    business_id: str,
    user_id: str,
    times: Times,
    *,
    mid: str,
    sent: Mapping[str, Any] | None,
    app_id: int | None = None,
) -> Payload:
    """The echo of a message the business sent (``message.is_echo``): the business is the
    sender, the user the recipient, the mid is the one the send answered. ``sent`` is the Send
    API ``message`` object (text, or one attachment); Messenger adds its ``app_id`` (an int)
    and the send's ``metadata``."""
    message: dict[str, Any] = {"mid": mid, "is_echo": True}
    if app_id is not None:
        message = {"is_echo": True, "app_id": app_id, "mid": mid}
    sent = sent or {}
    if isinstance(sent.get("metadata"), str) and app_id is not None:
        message["metadata"] = sent["metadata"]
    if isinstance(sent.get("text"), str):
        message["text"] = sent["text"]
    attachment = sent.get("attachment")
    if isinstance(attachment, Mapping):
        payload = attachment.get("payload")
        url = payload.get("url") if isinstance(payload, Mapping) else None
        item: dict[str, Any] = {"type": attachment.get("type", "file")}
        item["payload"] = {"url": url} if isinstance(url, str) else dict(payload or {})
        message["attachments"] = [item]
    event = {
        "sender": {"id": business_id},
        "recipient": {"id": user_id},
        "timestamp": times.event,
        "message": message,
    }
    return single_event(object_name, business_id, times, event)
