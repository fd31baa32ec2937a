"""The Instagram named samples follow the catalogue contract of docs/architecture.md."""

from __future__ import annotations

import re

import pytest

from metasim.simulator import catalogue
from tests.support.catalogue_contract import check_contract
from tests.support.json_docs import load_samples

SAMPLES = load_samples("instagram")
REQUIRED_NAMES = [
    "ig.text",
    "ig.image",
    "ig.audio",
    "ig.video",
    "ig.file",
    "ig.ig_reel",
    "ig.share",
    "ig.story_mention",
    "ig.story_reply",
    "ig.reply",
    "ig.quick_reply",
    "ig.postback",
    "ig.reaction",
    "ig.unreact",
    "ig.read",
    "ig.echo",
    "ig.deleted",
    "ig.edit",
    "ig.referral",
    "ig.comment",
    "ig.mention",
    "ig.text.non_ascii",
]
# Acknowledged but never answered: receipts, our own echoes, a removed reaction, an unsent
# message, an edit of a message already answered, a mention that names no sender.
NOT_PROCESSABLE = {
    "ig.read", "ig.echo", "ig.unreact", "ig.deleted", "ig.edit", "ig.mention", "ig.is_self",
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_follows_the_catalogue_contract(name: str) -> None:
    check_contract(name, SAMPLES[name], "ig", "instagram")


def test_every_required_event_is_in_the_catalogue() -> None:
    assert set(REQUIRED_NAMES) <= set(catalogue.names("ig"))


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_processable_is_false_exactly_for_what_must_not_be_answered(name: str) -> None:
    assert SAMPLES[name]["processable"] is (name not in NOT_PROCESSABLE)


def test_comments_name_the_comment_id_and_mentions_comment_id() -> None:
    # the comments field names the comment `id` (Graph webhooks reference for instagram, both
    # logins); `comment_id` belongs to the mentions field
    for name in ("ig.comment", "ig.comment.ig_login"):
        value = SAMPLES[name]["payload"]["entry"][0]["changes"][0]["value"]
        assert "id" in value and "comment_id" not in value, name
    assert "comment_id" in SAMPLES["ig.mention"]["payload"]["entry"][0]["changes"][0]["value"]
    assert SAMPLES["ig.comment"]["payload"]["entry"][0]["time"] < 10**11  # seconds (capture)


def test_story_reply_and_inline_reply_use_the_two_reply_to_forms() -> None:
    story = SAMPLES["ig.story_reply"]["payload"]["entry"][0]["messaging"][0]["message"]["reply_to"]
    inline = SAMPLES["ig.reply"]["payload"]["entry"][0]["messaging"][0]["message"]["reply_to"]
    assert set(story) == {"story"} and set(story["story"]) == {"url", "id"}
    assert set(inline) == {"mid"}


def test_non_ascii_sample_holds_accents_an_emoji_and_a_url() -> None:
    text = SAMPLES["ig.text.non_ascii"]["payload"]["entry"][0]["messaging"][0]["message"]["text"]
    assert re.search(r"[éèàç]", text) and "https://" in text
    assert any(ord(c) > 0xFFFF for c in text)
