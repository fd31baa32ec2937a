"""The Messenger named samples follow the catalogue contract of docs/architecture.md."""

from __future__ import annotations

import re

import pytest

from metasim.simulator import catalogue
from tests.support.catalogue_contract import check_contract
from tests.support.json_docs import load_samples

SAMPLES = load_samples("messenger")
REQUIRED_NAMES = [
    "msg.text",
    "msg.quick_reply",
    "msg.reply",
    "msg.image",
    "msg.audio",
    "msg.video",
    "msg.file",
    "msg.fallback",
    "msg.template",
    "msg.postback",
    "msg.postback.referral",
    "msg.delivery",
    "msg.read",
    "msg.echo",
    "msg.referral",
    "msg.optin",
    "msg.reaction",
    "msg.standby",
    "msg.text.non_ascii",
]
# Acknowledged but never answered: receipts, our own echoes, a standby copy (another app owns
# the thread) and an edit of a message already answered.
NOT_PROCESSABLE = {
    "msg.delivery", "msg.delivery.no_mids", "msg.read", "msg.echo", "msg.standby", "msg.edit",
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_follows_the_catalogue_contract(name: str) -> None:
    check_contract(name, SAMPLES[name], "msg", "page")


def test_every_required_event_is_in_the_catalogue() -> None:
    assert set(REQUIRED_NAMES) <= set(catalogue.names("msg"))


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_processable_is_false_exactly_for_what_must_not_be_answered(name: str) -> None:
    assert SAMPLES[name]["processable"] is (name not in NOT_PROCESSABLE)


def test_non_ascii_sample_holds_accents_an_emoji_and_a_url() -> None:
    text = SAMPLES["msg.text.non_ascii"]["payload"]["entry"][0]["messaging"][0]["message"]["text"]
    assert re.search(r"[éèàçñüß]", text) and "https://" in text
    assert any(ord(c) > 0xFFFF for c in text)  # non-BMP: signed as a surrogate pair


def test_catalogue_exposes_the_samples_as_events() -> None:
    event = catalogue.get("msg.postback.referral")
    assert (event.channel, event.kind, event.message_type, event.processable) == (
        "msg",
        "postback",
        "postback",
        True,
    )
