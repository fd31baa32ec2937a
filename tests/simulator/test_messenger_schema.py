"""The Messenger webhook schema: samples valid, each required field enforced, types checked, extras tolerated."""

from __future__ import annotations

import copy
from typing import Any

from metasim.simulator.schemas import errors
from tests.support.json_docs import get, load_samples, matches
from tests.support.schema_contract import webhook_schema_tests

SAMPLES = load_samples("messenger")
SCHEMA = "messenger/webhook"
EV = "entry.*.*.*"  # an event of messaging[] or standby[]
MEDIA = {"image", "audio", "video", "file", "reel", "ig_reel", "post", "ig_post"}

# Written from the Meta reference pages (docs/meta-contract.md §c), not from the schema: removing any of
# these from a sample must make it invalid; removing anything else must keep it valid.
REQUIRED = {
    "object",
    "entry",
    "entry.*.id",
    "entry.*.time",
    "entry.*.messaging",
    "entry.*.standby",
    f"{EV}.sender",
    f"{EV}.sender.id",
    f"{EV}.recipient",
    f"{EV}.recipient.id",
    f"{EV}.timestamp",
    f"{EV}.message",
    f"{EV}.postback",
    f"{EV}.delivery",
    f"{EV}.read",
    f"{EV}.referral",
    f"{EV}.optin",
    f"{EV}.reaction",
    f"{EV}.message_edit",
    f"{EV}.message.mid",
    f"{EV}.message.app_id",
    f"{EV}.message.reply_to.mid",
    f"{EV}.message.quick_reply.payload",
    f"{EV}.message.commands.*.name",
    f"{EV}.message.attachments.*.type",
    f"{EV}.postback.title",
    f"{EV}.postback.payload",
    f"{EV}.postback.referral.source",
    f"{EV}.postback.referral.type",
    f"{EV}.delivery.watermark",
    f"{EV}.read.watermark",
    f"{EV}.referral.source",
    f"{EV}.referral.type",
    f"{EV}.referral.ad_id",  # present on ad referrals (source ADS) only
    f"{EV}.message.referral.source",
    f"{EV}.message.referral.type",
    f"{EV}.message.referral.ad_id",
    f"{EV}.optin.type",
    f"{EV}.reaction.mid",
    f"{EV}.reaction.action",
    f"{EV}.reaction.reaction",
    f"{EV}.message_edit.mid",
    f"{EV}.message_edit.text",
}
MEDIA_REQUIRED = {"payload", "payload.url"}
TEMPLATE_REQUIRED = {
    "payload",
    "payload.product",
    "payload.product.elements",
    "payload.product.elements.*.id",
}


def _required(payload: dict[str, Any], path: tuple[str, ...]) -> bool:
    if any(matches(path, p) for p in REQUIRED):
        return True
    at = path.index("attachments") + 2 if "attachments" in path else 0
    if at and len(path) > at:  # what an attachment needs depends on its type
        kind = get(payload, path[:at])["type"]
        rest = ".".join("*" if s.isdigit() else s for s in path[at:])
        if kind == "sticker":  # the sticker_id travels in the payload
            return rest == "payload"
        return rest in (
            MEDIA_REQUIRED if kind in MEDIA else TEMPLATE_REQUIRED if kind == "template" else ()
        )
    return False


def test_delivery_without_timestamp_is_valid_but_a_read_without_one_is_not() -> None:
    delivery = SAMPLES["msg.delivery"]["payload"]
    assert "timestamp" not in delivery["entry"][0]["messaging"][0]  # as in Meta's example
    assert errors(SCHEMA, delivery) == []
    read = copy.deepcopy(SAMPLES["msg.read"]["payload"])
    del read["entry"][0]["messaging"][0]["timestamp"]
    assert errors(SCHEMA, read)


WRONG_TYPES = [
    ("msg.text", "object", "instagram"),
    ("msg.text", "entry", {}),
    ("msg.text", "entry", []),
    ("msg.text", "entry.0.id", 112233445566778),
    ("msg.text", "entry.0.time", "1767264532123"),
    ("msg.text", "entry.0.messaging", []),
    ("msg.text", "entry.0.messaging.0.sender.id", 7345601928374650),
    ("msg.text", "entry.0.messaging.0.recipient.id", "page-112233"),
    ("msg.text", "entry.0.messaging.0.timestamp", "1767264531735"),
    ("msg.text", "entry.0.messaging.0.timestamp", 1767264531.735),
    ("msg.text", "entry.0.messaging.0.timestamp", 17672645),
    ("msg.text", "entry.0.messaging.0.message.mid", 42),
    ("msg.text", "entry.0.messaging.0.message.mid", ""),
    ("msg.text", "entry.0.messaging.0.message.text", ["Hello"]),
    ("msg.image", "entry.0.messaging.0.message.attachments", {"type": "image"}),
    ("msg.image", "entry.0.messaging.0.message.attachments.0.payload", "https://x.example/a.jpg"),
    ("msg.echo", "entry.0.messaging.0.message.is_echo", "true"),
    ("msg.delivery", "entry.0.messaging.0.delivery.watermark", "1767264530623"),
    ("msg.delivery", "entry.0.messaging.0.delivery.mids", "m_abc"),
    ("msg.read", "entry.0.messaging.0.read.watermark", None),
    ("msg.reaction", "entry.0.messaging.0.reaction.action", "like"),
    ("msg.edit", "entry.0.messaging.0.message_edit.num_edit", "once"),
    ("msg.postback", "entry.0.messaging.0.postback.payload", {"id": 1}),
]
# where an unknown field Meta may add later must be accepted
TOLERATED = [
    ("msg.image", where)
    for where in (
        "",
        "entry.0",
        "entry.0.messaging.0",
        "entry.0.messaging.0.message",
        "entry.0.messaging.0.message.attachments.0",
        "entry.0.messaging.0.message.attachments.0.payload",
    )
]

(
    test_every_sample_is_valid,
    test_removing_a_field_fails_exactly_when_meta_requires_it,
    test_a_wrong_type_is_rejected,
    test_unknown_fields_meta_may_add_are_tolerated,
) = webhook_schema_tests(SCHEMA, SAMPLES, _required, WRONG_TYPES, TOLERATED)


def test_an_unknown_attachment_type_is_tolerated() -> None:
    payload = copy.deepcopy(SAMPLES["msg.image"]["payload"])
    payload["entry"][0]["messaging"][0]["message"]["attachments"][0]["type"] = "hologram"
    assert errors(SCHEMA, payload) == []


def test_num_edit_as_a_digit_string_is_accepted() -> None:
    edit = copy.deepcopy(SAMPLES["msg.edit"]["payload"])
    edit["entry"][0]["messaging"][0]["message_edit"]["num_edit"] = "2"  # the doc's quoted "<INT>"
    assert errors(SCHEMA, edit) == []


def test_fallback_in_the_old_shape_with_null_payload_is_valid() -> None:
    payload = copy.deepcopy(SAMPLES["msg.fallback"]["payload"])
    payload["entry"][0]["messaging"][0]["message"]["attachments"] = [
        {
            "title": "Les soldes",
            "url": "https://www.lemonde.fr/soldes.html",
            "type": "fallback",
            "payload": None,
        }
    ]
    assert errors(SCHEMA, payload) == []


def test_a_chat_plugin_sender_with_user_ref_is_valid() -> None:
    payload = copy.deepcopy(SAMPLES["msg.text"]["payload"])
    payload["entry"][0]["messaging"][0]["sender"] = {"user_ref": "chat-plugin-7f3a9c"}
    assert errors(SCHEMA, payload) == []


def test_a_batch_of_entries_is_valid() -> None:
    payload = copy.deepcopy(SAMPLES["msg.text"]["payload"])
    payload["entry"] += copy.deepcopy(SAMPLES["msg.read"]["payload"]["entry"])
    assert errors(SCHEMA, payload) == []
