"""The Instagram webhook schema: samples valid, each required field enforced, types checked, extras tolerated."""

from __future__ import annotations

import copy
from typing import Any

from metasim.simulator.schemas import errors
from tests.support.json_docs import get, load_samples, matches
from tests.support.schema_contract import webhook_schema_tests

SAMPLES = load_samples("instagram")
SCHEMA = "instagram/webhook"
EV = "entry.*.messaging.*"
CV = "entry.*.changes.*.value"

# Written from Meta's Instagram webhook examples (docs/meta-contract.md §b), not from the schema:
# removing any of these from a sample must make it invalid; removing anything else keeps it valid.
REQUIRED = {
    "object",
    "entry",
    "entry.*.id",
    "entry.*.time",
    "entry.*.messaging",
    "entry.*.changes",
    f"{EV}.sender",
    f"{EV}.sender.id",
    f"{EV}.recipient",
    f"{EV}.recipient.id",
    f"{EV}.timestamp",
    f"{EV}.message",
    f"{EV}.reaction",
    f"{EV}.postback",
    f"{EV}.referral",
    f"{EV}.read",
    f"{EV}.message_edit",
    f"{EV}.message.mid",
    f"{EV}.message.reply_to.mid",
    f"{EV}.message.reply_to.story",
    f"{EV}.message.reply_to.story.url",
    f"{EV}.message.reply_to.story.id",
    f"{EV}.message.quick_reply.payload",
    f"{EV}.message.attachments.*.type",
    f"{EV}.message.attachments.*.payload",
    f"{EV}.message.attachments.*.payload.url",
    f"{EV}.reaction.mid",
    f"{EV}.reaction.action",
    f"{EV}.reaction.reaction",
    f"{EV}.postback.title",
    f"{EV}.postback.payload",
    f"{EV}.referral.source",
    f"{EV}.referral.type",
    f"{EV}.referral.ad_id",  # present on ad referrals (source ADS) only
    f"{EV}.message.referral.source",
    f"{EV}.message.referral.type",
    f"{EV}.message.referral.ad_id",
    f"{EV}.read.mid",
    f"{EV}.message_edit.mid",
    f"{EV}.message_edit.text",
    "entry.*.changes.*.field",
    "entry.*.changes.*.value",
}
# per change field: comments need the one comment id present (comment_id or id), author, text, media
COMMENT = {
    f"{CV}.comment_id",
    f"{CV}.id",
    f"{CV}.from",
    f"{CV}.from.id",
    f"{CV}.text",
    f"{CV}.media",
    f"{CV}.media.id",
}
VALUE_REQUIRED = {"comments": COMMENT, "live_comments": COMMENT, "mentions": {f"{CV}.media_id"}}


def _required(payload: dict[str, Any], path: tuple[str, ...]) -> bool:
    if path[2:3] == ("changes",) and len(path) > 5:
        field = get(payload, path[:4])["field"]
        return any(matches(path, p) for p in VALUE_REQUIRED.get(field, ()))
    return any(matches(path, p) for p in REQUIRED)


WRONG_TYPES = [
    ("ig.text", "object", "page"),
    ("ig.text", "entry.0.id", 17841400000000001),
    ("ig.text", "entry.0.time", "1767264532123"),
    ("ig.text", "entry.0.messaging.0.sender.id", 6812345678901234),
    ("ig.text", "entry.0.messaging.0.recipient", "17841400000000001"),
    ("ig.text", "entry.0.messaging.0.timestamp", "1767264531711"),
    ("ig.text", "entry.0.messaging.0.timestamp", 99),
    ("ig.text", "entry.0.messaging.0.message.mid", None),
    ("ig.text", "entry.0.messaging.0.message.text", 12),
    ("ig.image", "entry.0.messaging.0.message.attachments", []),
    ("ig.image", "entry.0.messaging.0.message.attachments.0.payload.url", ""),
    ("ig.echo", "entry.0.messaging.0.message.is_echo", 1),
    ("ig.deleted", "entry.0.messaging.0.message.is_deleted", "yes"),
    ("ig.story_reply", "entry.0.messaging.0.message.reply_to", {"story": {"url": "https://x"}}),
    ("ig.reply", "entry.0.messaging.0.message.reply_to", {}),
    ("ig.reaction", "entry.0.messaging.0.reaction.action", "love"),
    ("ig.read", "entry.0.messaging.0.read", {"watermark": 1767264530000}),
    ("ig.edit", "entry.0.messaging.0.message_edit.num_edit", -1),
    ("ig.comment", "entry.0.changes.0.value.from.id", 6812345678901234),
    ("ig.comment", "entry.0.changes.0.value.media", "18019876543210987"),
    ("ig.mention", "entry.0.changes.0.value.media_id", 18019876543210987),
    ("ig.mention", "entry.0.changes", [{"field": "mentions"}]),
]
# where an unknown field Meta may add later must be accepted
TOLERATED = [
    ("ig.image", ""),
    ("ig.image", "entry.0"),
    ("ig.image", "entry.0.messaging.0"),
    ("ig.image", "entry.0.messaging.0.message"),
    ("ig.image", "entry.0.messaging.0.message.attachments.0.payload"),
    ("ig.comment", "entry.0.changes.0.value"),
    ("ig.comment", "entry.0.changes.0.value.from"),
]

(
    test_every_sample_is_valid,
    test_removing_a_field_fails_exactly_when_meta_requires_it,
    test_a_wrong_type_is_rejected,
    test_unknown_fields_meta_may_add_are_tolerated,
) = webhook_schema_tests(SCHEMA, SAMPLES, _required, WRONG_TYPES, TOLERATED)


def test_an_unknown_attachment_type_and_change_field_are_tolerated() -> None:
    payload = copy.deepcopy(SAMPLES["ig.image"]["payload"])
    payload["entry"][0]["messaging"][0]["message"]["attachments"][0]["type"] = "ig_broadcast"
    assert errors(SCHEMA, payload) == []
    change = copy.deepcopy(SAMPLES["ig.comment"]["payload"])
    change["entry"][0]["changes"][0] = {
        "field": "story_insights",
        "value": {"media_id": "1", "reach": 4},
    }
    assert errors(SCHEMA, change) == []


def test_entry_time_in_seconds_and_in_milliseconds_are_both_accepted() -> None:
    seconds = SAMPLES["ig.mention"]["payload"]
    assert seconds["entry"][0]["time"] < 10**11  # Meta's mentions example is in seconds
    assert errors(SCHEMA, seconds) == []
    millis = copy.deepcopy(seconds)
    millis["entry"][0]["time"] = seconds["entry"][0]["time"] * 1000 + 123
    assert errors(SCHEMA, millis) == []


def test_a_mention_in_a_caption_has_only_a_media_id() -> None:
    payload = copy.deepcopy(SAMPLES["ig.mention"]["payload"])
    del payload["entry"][0]["changes"][0]["value"]["comment_id"]
    assert errors(SCHEMA, payload) == []


def test_a_comment_without_any_comment_id_is_rejected() -> None:
    payload = copy.deepcopy(SAMPLES["ig.comment.ig_login"]["payload"])
    del payload["entry"][0]["changes"][0]["value"]["id"]
    assert errors(SCHEMA, payload)
