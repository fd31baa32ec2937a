"""The canonical envelope schema: valid envelopes per channel pass; missing, non-UTC, unknown or extra fail."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from metasim.simulator import schemas
from metasim.simulator.schemas import errors

SCHEMA = "envelope"
REQUIRED = [
    "provider",
    "msg_id",
    "from",
    "timestamp",
    "type",
    "text",
    "attachments",
    "raw_meta",
    "correlation_id",
    "received_at",
]

# Written by hand from the native samples, as a gateway would canonicalise them.
WA = {
    "provider": "wa",
    "msg_id": "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQTRBNjVFNzE2QjQ4OEEzNjlGRAA=",
    "from": "16505551234",
    "text": "Voici la facture",
    "timestamp": "2026-01-01T20:39:58Z",
    "type": "document",
    "attachments": [
        {
            "type": "document",
            "media_id": "1003383421387256",
            "mime_type": "application/pdf",
            "sha256": "Qmd6ZUdCS0dJQkZIQ0ZUQkRDRkJHQ0NERkZBSEFEREY=",
            "caption": "Voici la facture",
            "filename": "facture-1042.pdf",
            "url": "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1003383421387256",
        }
    ],
    "raw_meta": {"from": "16505551234", "id": "wamid.HBgL...", "type": "document"},
    "client_id": "bistro-lumiere",
    "correlation_id": "4f1c2b7e-9a3d-4e8f-b1c2-7d6e5f4a3b2c",
    "received_at": "2026-01-01T20:39:59.412Z",
    "reply_to": None,
    "tenant_id": "106540352242922",
    "dialect": "bsuid",
    "user_id": "US.13491208655302741918",
    "username": "lea.martin",
}
IG = {
    "provider": "ig",
    "msg_id": "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDAwMDAwMDAwMDAx",
    "from": "6812345678901234",
    "text": "Is this still available in blue?",
    "timestamp": "2026-01-01T20:40:00.250Z",
    "type": "story_reply",
    "attachments": [],
    "raw_meta": {"sender": {"id": "6812345678901234"}, "message": {"mid": "aWdf..."}},
    "correlation_id": "0b9e8d7c-6f5a-4b3c-9d2e-1f0a9b8c7d6e",
    "received_at": "2026-01-01T20:40:00.731Z",
    "reply_to": None,
}
MSG = {
    "provider": "msg",
    "msg_id": "m_ZdtyVvG2N3DLXlnuWBkmF1zH5Bt8n9nUtXE7VnQzY2sq",
    "from": "7345601928374650",
    "text": "",
    "timestamp": "2026-01-01T20:40:00.250Z",
    "type": "image",
    "attachments": [
        {"type": "image", "url": "https://scontent.xx.fbcdn.net/v/t1.15752-9/598712345_n.jpg"}
    ],
    "raw_meta": {"sender": {"id": "7345601928374650"}},
    "client_id": "colis-express",
    "correlation_id": "c3d2e1f0-a9b8-4c7d-8e6f-5a4b3c2d1e0f",
    "received_at": "2026-01-01T20:40:01Z",
    "reply_to": "m_Qp3aLk7sN9vXr2TjB5yHcW1eZuM8dFgK0oRtYiPx4q",
}
ENVELOPES = {"wa": WA, "ig": IG, "msg": MSG}


def with_(envelope: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(envelope)
    out.update(changes)
    return out


@pytest.mark.parametrize("channel", sorted(ENVELOPES))
def test_a_hand_written_envelope_is_valid(channel: str) -> None:
    assert errors(SCHEMA, ENVELOPES[channel]) == []


@pytest.mark.parametrize("field", REQUIRED)
@pytest.mark.parametrize("channel", sorted(ENVELOPES))
def test_each_required_field_is_enforced(channel: str, field: str) -> None:
    envelope = copy.deepcopy(ENVELOPES[channel])
    del envelope[field]
    found = errors(SCHEMA, envelope)
    assert found and f"'{field}' is a required property" in str(found[0])


@pytest.mark.parametrize(
    "field", ["client_id", "reply_to", "tenant_id", "dialect", "user_id", "username"]
)
def test_optional_fields_may_be_left_out(field: str) -> None:
    envelope = copy.deepcopy(WA)
    del envelope[field]
    assert errors(SCHEMA, envelope) == []


@pytest.mark.parametrize(
    "stamp",
    [
        "2026-01-01T21:40:00+01:00",  # right instant, not UTC
        "2026-01-01T20:40:00+00:00",  # UTC, but not the one spelling we keep
        "2026-01-01T20:40:00",  # no zone
        "2026-01-01 20:40:00Z",  # space instead of T
        "2026-13-01T20:40:00Z",
        "1767300000",  # epoch left unconverted
        "2026-01-01T20:40:00z",
    ],
)
@pytest.mark.parametrize("field", ["timestamp", "received_at"])
def test_a_non_utc_or_malformed_time_is_rejected(field: str, stamp: str) -> None:
    assert errors(SCHEMA, with_(MSG, **{field: stamp}))


def test_a_fraction_of_a_second_is_accepted() -> None:
    assert errors(SCHEMA, with_(MSG, timestamp="2026-01-01T20:40:00.123456Z")) == []


@pytest.mark.parametrize("provider", ["whatsapp", "fb", "IG", "", None])
def test_an_unknown_provider_is_rejected(provider: Any) -> None:
    assert errors(SCHEMA, with_(IG, provider=provider))


def test_an_extra_field_is_rejected_at_top_level_and_in_attachments() -> None:
    assert errors(SCHEMA, with_(MSG, userId="7345601928374650"))
    attachment = {**MSG["attachments"][0], "payload": {"url": "https://x"}}
    assert errors(SCHEMA, with_(MSG, attachments=[attachment]))


@pytest.mark.parametrize(
    "changes",
    [
        {"type": "status"},
        {"type": "ig_reel"},
        {"text": None},
        {"msg_id": ""},
        {"from": 7345601928374650},
        {"attachments": {}},
        {"attachments": [{"url": "https://x"}]},
        {"raw_meta": "{}"},
        {"reply_to": ""},
        {"dialect": "wa_id"},
        {"user_id": "13491208655302741918"},
    ],
)
def test_wrong_values_are_rejected(changes: dict[str, Any]) -> None:
    assert errors(SCHEMA, with_(WA, **changes))


def test_the_type_list_covers_every_channel_s_canonical_types() -> None:
    for kind in (
        "text",
        "image",
        "interactive",
        "order",
        "postback",
        "quick_reply",
        "story_reply",
        "story_mention",
        "reel",
        "share",
        "fallback",
        "template",
        "comment",
        "mention",
        "optin",
        "referral",
        "edit",
        "deleted",
        "unsupported",
    ):
        assert errors(SCHEMA, with_(MSG, type=kind)) == [], kind


@pytest.mark.parametrize("name", ["envelope", "instagram/webhook", "messenger/webhook"])
def test_the_schema_itself_is_valid_json_schema_2020_12(name: str) -> None:
    document = schemas.schema(name)
    Draft202012Validator.check_schema(document)
    assert document["$id"].startswith("https://metasim.dev/schemas/")
