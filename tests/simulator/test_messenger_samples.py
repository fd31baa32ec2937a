"""The Messenger named samples follow the catalogue contract of docs/architecture.md."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from simulator import catalogue

ROOT = Path(__file__).resolve().parents[2]
KEYS = {
    "description",
    "channel",
    "kind",
    "message_type",
    "processable",
    "dialects",
    "source",
    "payload",
}
ENVELOPE_TYPES = set(
    json.loads((ROOT / "payloads/schemas/envelope.schema.json").read_text("utf-8"))["properties"][
        "type"
    ]["enum"]
)


def load(family: str) -> dict[str, Any]:
    """The raw samples file payloads/samples/<family>.json."""
    doc: dict[str, Any] = json.loads((ROOT / f"payloads/samples/{family}.json").read_text("utf-8"))
    return doc


def check_contract(name: str, event: dict[str, Any], channel: str, obj: str) -> None:
    """One sample honours the catalogue contract: exact keys, channel, types, a full webhook body."""
    assert set(event) == KEYS, f"{name}: keys {sorted(event)}"
    assert re.fullmatch(rf"{channel}\.[a-z_]+(\.[a-z_]+)?", name), name
    assert event["channel"] == channel
    assert event["dialects"] == ["classic"]
    assert isinstance(event["processable"], bool)
    assert event["message_type"] is None or event["message_type"] in ENVELOPE_TYPES
    assert event["description"].strip() and "\n" not in event["description"]
    assert "META-CONTRACT" in event["source"]
    assert event["payload"]["object"] == obj and event["payload"]["entry"]
    if event["processable"]:
        assert event["message_type"] is not None, (
            f"{name}: a processable event needs an envelope type"
        )


SAMPLES = load("messenger")
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
NOT_PROCESSABLE = {"msg.delivery", "msg.read", "msg.echo", "msg.standby", "msg.edit"}


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
