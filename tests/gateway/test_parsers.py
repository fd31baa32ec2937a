"""Every catalogue event parses as the catalogue says: envelope type, processable, valid envelope."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from metasim.gateway.parsers import parse
from metasim.simulator import catalogue
from metasim.simulator.context import BuildContext

ROOT = Path(__file__).resolve().parents[2]
ENVELOPE = Draft202012Validator(
    json.loads((ROOT / "payloads/schemas/envelope.schema.json").read_text())
)
NOW = 1767264532.0

CASES = [
    (name, dialect)
    for event in catalogue.events()
    if not event.is_batch
    for name, dialect in ((event.name, d) for d in event.dialects)
]


def _parse(channel: str, payload: Any) -> list:
    return parse(channel, payload, received_at=NOW, correlation_id="corr-1")


def _valid(env: dict) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in ENVELOPE.iter_errors(env)]
    assert not errors, errors


@pytest.mark.parametrize(("name", "dialect"), CASES, ids=[f"{n}[{d}]" for n, d in CASES])
def test_catalogue_event(name: str, dialect: str) -> None:
    event = catalogue.get(name)
    payload = catalogue.build(name, BuildContext.seeded(3, now=NOW), dialect=dialect)
    updates = _parse(event.channel, payload)
    if len(updates) == 2 and updates[1].kind == "error":
        # a message with value-level errors beside it (interactive without its object)
        assert updates[0].kind == "message"
        updates = updates[:1]
    assert len(updates) == 1
    update = updates[0]
    assert update.processable == event.processable
    if event.message_type is None:
        assert update.envelope is None
        assert update.kind == event.kind
        return
    env = update.envelope
    assert env is not None
    _valid(env)
    assert env["type"] == event.message_type
    assert env["provider"] == event.channel
    assert env["correlation_id"] == "corr-1"
    assert env["timestamp"].endswith("Z")


def _wa_message(payload: dict) -> dict:
    return payload["entry"][0]["changes"][0]["value"]["messages"][0]


def test_wa_text_fields_come_from_the_payload() -> None:
    payload = catalogue.build("wa.text", BuildContext.seeded(1, now=NOW))
    message = _wa_message(payload)
    env = _parse("wa", payload)[0].envelope
    assert env["msg_id"] == message["id"]
    assert env["from"] == message["from"]
    assert env["text"] == message["text"]["body"]
    assert env["tenant_id"] == "106540352242922"
    assert env["dialect"] == "dual"
    assert env["user_id"] == message["from_user_id"]
    assert env["raw_meta"] == message


def test_classic_dialect_has_no_user_id() -> None:
    payload = catalogue.build("wa.text", BuildContext.seeded(1, now=NOW), dialect="classic")
    env = _parse("wa", payload)[0].envelope
    assert env["from"] == _wa_message(payload)["from"]
    assert env["dialect"] == "classic"
    assert "user_id" not in env


def test_bsuid_dialect_without_phone_uses_user_id_as_from() -> None:
    payload = catalogue.build("wa.text", BuildContext.seeded(1, now=NOW), dialect="bsuid")
    value = payload["entry"][0]["changes"][0]["value"]
    message = value["messages"][0]
    user_id = value["contacts"][0]["user_id"]
    message.pop("from", None)
    value["contacts"][0].pop("wa_id", None)
    update = _parse("wa", payload)[0]
    _valid(update.envelope)
    assert update.envelope["from"] == user_id
    assert update.envelope["user_id"] == user_id
    assert update.envelope["dialect"] == "bsuid"


def test_wa_media_becomes_an_attachment_with_its_media_id() -> None:
    payload = catalogue.build("wa.document", BuildContext.seeded(2, now=NOW))
    doc = _wa_message(payload)["document"]
    att = _parse("wa", payload)[0].envelope["attachments"]
    assert att[0]["type"] == "document"
    assert att[0]["media_id"] == doc["id"]
    assert att[0]["mime_type"] == doc["mime_type"]


def test_reply_context_becomes_reply_to() -> None:
    payload = catalogue.build("wa.text.reply", BuildContext.seeded(2, now=NOW))
    assert _parse("wa", payload)[0].envelope["reply_to"] == _wa_message(payload)["context"]["id"]


def test_messenger_timestamp_in_ms_and_wa_in_seconds() -> None:
    msg = catalogue.build("msg.text", BuildContext.seeded(2, now=NOW))
    msg["entry"][0]["messaging"][0]["timestamp"] = 1749416383123
    wa = catalogue.build("wa.text", BuildContext.seeded(2, now=NOW))
    _wa_message(wa)["timestamp"] = "1749416383"
    assert _parse("msg", msg)[0].envelope["timestamp"] == "2025-06-08T20:59:43.123Z"
    assert _parse("wa", wa)[0].envelope["timestamp"] == "2025-06-08T20:59:43Z"


@pytest.mark.parametrize("stamp", ["1749416383", 1749416383, "1749416383000", 1749416383000])
def test_any_timestamp_form_is_accepted(stamp: Any) -> None:
    payload = catalogue.build("wa.text", BuildContext.seeded(2, now=NOW))
    _wa_message(payload)["timestamp"] = stamp
    assert _parse("wa", payload)[0].envelope["timestamp"].startswith("2025-06-08T20:59:43")


@pytest.mark.parametrize(
    ("name", "count"),
    [("batch.wa.3x2x2", 12), ("batch.ig.multi_entry", 4), ("batch.msg.multi_entry", 4)],
)
def test_batches_yield_every_update_in_order(name: str, count: int) -> None:
    event = catalogue.get(name)
    payload = catalogue.build(name, BuildContext.seeded(4, now=NOW))
    updates = _parse(event.channel, payload)
    assert len(updates) == count
    ids = [u.msg_id for u in updates]
    assert len(set(ids)) == count
    for u in updates:
        _valid(u.envelope)


def test_mixed_batch_separates_statuses_from_messages() -> None:
    payload = catalogue.build("batch.wa.mixed", BuildContext.seeded(4, now=NOW))
    updates = _parse("wa", payload)
    value_counts = [
        (len(c["value"].get("messages", [])), len(c["value"].get("statuses", [])))
        for e in payload["entry"]
        for c in e["changes"]
    ]
    assert sum(u.kind == "message" for u in updates) == sum(m for m, _ in value_counts)
    assert sum(u.kind == "status" for u in updates) == sum(s for _, s in value_counts)
    assert sum(s for _, s in value_counts) > 0


def test_one_broken_message_does_not_hide_the_others() -> None:
    payload = catalogue.build("batch.wa.3x2x2", BuildContext.seeded(4, now=NOW))
    broken = payload["entry"][1]["changes"][0]["value"]["messages"][1]
    del broken["id"]
    broken["timestamp"] = "not-a-time"
    updates = _parse("wa", payload)
    assert len(updates) == 12
    bad = [u for u in updates if ENVELOPE.is_valid(u.envelope) is False]
    assert [u.where for u in bad] == ["entry[1].changes[0].value.messages[1]"]


def test_wa_system_notice_without_contacts_is_acknowledged_not_answered() -> None:
    # v12+: "system messages webhooks don't include a contacts array"; system.wa_id is the new number
    payload = catalogue.build("wa.system", BuildContext.seeded(5, now=NOW), dialect="classic")
    value = payload["entry"][0]["changes"][0]["value"]
    assert "contacts" not in value
    update = _parse("wa", payload)[0]
    assert (update.kind, update.processable) == ("system", False)
    assert update.envelope["from"] == value["messages"][0]["from"]


def test_wa_business_scoped_id_change_names_the_user_by_the_new_id() -> None:
    payload = catalogue.build("wa.system.user_changed_user_id", BuildContext.seeded(5, now=NOW))
    system = _wa_message(payload)["system"]
    update = _parse("wa", payload)[0]
    _valid(update.envelope)
    assert update.envelope["from"] == system["user_id"] != system["previous_user_id"]
    assert not update.processable


@pytest.mark.parametrize("name", ["wa.text.group", "wa.request_welcome"])
def test_wa_group_messages_and_welcome_requests_get_no_reply(name: str) -> None:
    updates = _parse("wa", catalogue.build(name, BuildContext.seeded(5, now=NOW)))
    assert [u.processable for u in updates] == [False]


def test_wa_interactive_without_its_object_is_one_message_and_one_error() -> None:
    payload = catalogue.build("wa.interactive.missing_object", BuildContext.seeded(5, now=NOW))
    updates = _parse("wa", payload)
    assert [(u.kind, u.processable) for u in updates] == [("message", True), ("error", False)]
    assert updates[1].raw["code"] == 131000


@pytest.mark.parametrize(
    ("channel", "name", "kind"),
    [("ig", "ig.share.transition", "share"), ("msg", "msg.sticker.transition", "sticker")],
)
def test_two_attachment_transitions_are_one_message(channel: str, name: str, kind: str) -> None:
    updates = _parse(channel, catalogue.build(name, BuildContext.seeded(5, now=NOW)))
    assert len(updates) == 1 and updates[0].processable
    assert updates[0].envelope["type"] == kind
    assert len(updates[0].envelope["attachments"]) == 2


def test_new_messenger_sticker_attachment_is_a_sticker() -> None:
    update = _parse("msg", catalogue.build("msg.sticker", BuildContext.seeded(5, now=NOW)))[0]
    assert update.envelope["type"] == "sticker" and update.processable


def test_instagram_is_self_is_not_answered() -> None:
    update = _parse("ig", catalogue.build("ig.is_self", BuildContext.seeded(5, now=NOW)))[0]
    assert (update.kind, update.processable, update.envelope) == ("self", False, None)


OTHER_FIELDS = [
    e.name
    for e in catalogue.events("wa")
    if e.payload is not None and e.payload["entry"][0]["changes"][0]["field"] != "messages"
]


@pytest.mark.parametrize("name", OTHER_FIELDS)
def test_wa_other_webhook_fields_are_acknowledged_and_ignored(name: str) -> None:
    updates = _parse("wa", catalogue.build(name, BuildContext.seeded(5, now=NOW)))
    field = catalogue.sample(name)["entry"][0]["changes"][0]["field"]
    assert [(u.kind, u.processable, u.envelope) for u in updates] == [(field, False, None)]
