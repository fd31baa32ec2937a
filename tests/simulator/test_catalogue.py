"""The catalogue API: names, lookup with closest names, dialects, fresh builds with overrides."""

from __future__ import annotations

import copy
import json

import pytest

from metasim.simulator import catalogue, schemas
from metasim.simulator.catalogue import CatalogueEvent, UnknownDialect, UnknownEvent
from metasim.simulator.context import BuildContext
from metasim.simulator.overrides import OverrideError
from metasim.simulator.signing import meta_bytes

SCHEMA = {"wa": "whatsapp/webhook", "ig": "instagram/webhook", "msg": "messenger/webhook"}


def test_names_cover_every_channel_and_the_batches():
    every = catalogue.names()
    assert every == sorted(every)
    for channel in ("wa", "ig", "msg"):
        own = catalogue.names(channel)
        assert own and all(catalogue.get(n).channel == channel for n in own)
    assert {"wa.text", "ig.text", "msg.text", "batch.wa.3x2x2", "batch.wa.1000"} <= set(every)
    with pytest.raises(ValueError, match="wa, ig, msg"):
        catalogue.names("sms")


def test_get_returns_a_frozen_event_with_the_documented_fields():
    event = catalogue.get("wa.text")
    assert isinstance(event, CatalogueEvent)
    assert (event.channel, event.kind, event.message_type, event.processable) == (
        "wa",
        "message",
        "text",
        True,
    )
    assert "classic" in event.dialects and event.description
    with pytest.raises(AttributeError):
        event.name = "other"  # type: ignore[misc]


def test_unknown_name_lists_the_closest_names():
    with pytest.raises(UnknownEvent) as caught:
        catalogue.get("wa.txt")
    assert "wa.text" in caught.value.closest
    assert "wa.text" in str(caught.value) and "metasim events" in str(caught.value)


def test_unknown_dialect_lists_the_allowed_ones():
    with pytest.raises(UnknownDialect, match="allowed: classic"):
        catalogue.build("ig.text", dialect="bsuid")


def test_build_is_fresh_reproducible_and_does_not_touch_the_sample():
    before = catalogue.sample("wa.text")
    one = catalogue.build("wa.text", BuildContext.seeded(5, now=1764000000))
    two = catalogue.build("wa.text", BuildContext.seeded(5, now=1764000000))
    other = catalogue.build("wa.text", BuildContext.seeded(6, now=1764000000))
    assert meta_bytes(one) == meta_bytes(two)
    wamid = one["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
    assert wamid != other["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
    assert one["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"] == "1764000000"
    assert catalogue.sample("wa.text") == before


def test_build_applies_overrides_after_the_refresh():
    payload = catalogue.build(
        "wa.text",
        BuildContext.seeded(1),
        overrides=["entry.0.changes.0.value.messages.0.text.body=Bonjour"],
    )
    assert payload["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"] == "Bonjour"
    with pytest.raises(OverrideError, match="'mesages'"):
        catalogue.build("wa.text", overrides={"entry.0.changes.0.value.mesages.0.id": "x"})


def test_whatsapp_builds_default_to_the_dual_shape_and_others_to_classic():
    # today's WhatsApp payload names the phone and the business-scoped id together
    value = catalogue.build("wa.text", BuildContext.seeded(3))["entry"][0]["changes"][0]["value"]
    contact, message = value["contacts"][0], value["messages"][0]
    assert contact["wa_id"] == message["from"] and contact["user_id"] == message["from_user_id"]
    assert catalogue.default_dialect(catalogue.get("wa.text")) == "dual"
    assert catalogue.default_dialect(catalogue.get("ig.text")) == "classic"
    classic = catalogue.build("wa.text", BuildContext.seeded(3), dialect="classic")
    assert "user_id" not in classic["entry"][0]["changes"][0]["value"]["contacts"][0]


def test_bsuid_dialect_carries_the_business_scoped_user_id():
    payload = catalogue.build("wa.text", BuildContext.seeded(3), dialect="bsuid")
    contact = payload["entry"][0]["changes"][0]["value"]["contacts"][0]
    assert "." in contact["user_id"]  # CC.<digits> (docs/meta-contract.md §k)


# jsonschema takes ~5 ms per WhatsApp message (one if/then per message type): a batch of
# more than this many updates is validated whole in its first dialect only; in the others its
# first updates are (the dialects differ per update, in the same way for every update, and
# every smaller batch is validated whole in every dialect)
WHOLE_UPTO = 100


@pytest.mark.parametrize("name", [n for n in catalogue.names() if n.startswith("batch.")])
def test_batch_events_build_and_validate_in_every_dialect(name):
    event = catalogue.get(name)
    assert event.is_batch and event.kind == "batch"
    for n, dialect in enumerate(event.dialects):
        payload = catalogue.build(name, BuildContext.seeded(9), dialect=dialect)
        json.dumps(payload)
        if n and _updates(payload) > WHOLE_UPTO:
            payload = _first_updates(payload, WHOLE_UPTO)
        schemas.validate(SCHEMA[event.channel], payload)


def _updates(payload):
    """How many messages, statuses and messaging events a webhook carries."""
    count = 0
    for entry in payload["entry"]:
        count += len(entry.get("messaging", []))
        for change in entry.get("changes", []):
            value = change.get("value", {})
            count += len(value.get("messages", [])) + len(value.get("statuses", []))
    return count


def _first_updates(payload, limit):
    """``payload`` cut to its first ``limit`` updates of each list (a valid webhook still)."""
    cut = copy.deepcopy(payload)
    for entry in cut["entry"]:
        if "messaging" in entry:
            entry["messaging"] = entry["messaging"][:limit]
        for change in entry.get("changes", []):
            for key in ("messages", "statuses", "contacts"):
                if key in change.get("value", {}):
                    change["value"][key] = change["value"][key][:limit]
    return cut


def test_a_malformed_samples_file_is_reported_with_its_name(tmp_path, monkeypatch):
    (tmp_path / "broken.json").write_text('{"wa.x": {"channel": "wa", "kind": "message"}}')
    monkeypatch.setattr(catalogue, "SAMPLES_DIR", tmp_path)
    catalogue.reload()
    try:
        with pytest.raises(
            catalogue.CatalogueError, match=r"broken.json: 'wa.x' lacks description"
        ):
            catalogue.names()
    finally:
        monkeypatch.undo()
        catalogue.reload()
