"""The WhatsApp webhook schema: every sample passes, each missing required field or wrong type fails."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from metasim.simulator import schemas
from tests.support.json_docs import load_samples, with_value, without

SAMPLES = load_samples("whatsapp")
SCHEMA = "whatsapp/webhook"
VALUE = "entry.0.changes.0.value"
MSG = f"{VALUE}.messages.0"
STATUS = f"{VALUE}.statuses.0"

# Required fields per message type, written from docs/meta-contract.md §a (not read from the schema).
MEDIA_REQUIRED = ["id", "mime_type", "sha256"]
REQUIRED_BY_TYPE: dict[str, list[str]] = {
    "text": ["text", "text.body"],
    "image": ["image", *(f"image.{k}" for k in MEDIA_REQUIRED)],
    "audio": ["audio", *(f"audio.{k}" for k in MEDIA_REQUIRED)],
    "video": ["video", *(f"video.{k}" for k in MEDIA_REQUIRED)],
    "document": ["document", *(f"document.{k}" for k in MEDIA_REQUIRED)],
    "sticker": ["sticker", *(f"sticker.{k}" for k in MEDIA_REQUIRED)],
    "location": ["location", "location.latitude", "location.longitude"],
    "contacts": ["contacts"],
    "interactive": ["interactive", "interactive.type", "context", "context.from", "context.id"],
    "button": ["button", "button.text", "context", "context.from", "context.id"],
    "reaction": ["reaction", "reaction.message_id"],
    "order": [
        "order",
        "order.catalog_id",
        "order.product_items",
        *(
            f"order.product_items.0.{k}"
            for k in ("product_retailer_id", "quantity", "item_price", "currency")
        ),
    ],
    "system": ["system", "system.body"],
    "unsupported": ["errors", "errors.0.code", "errors.0.title"],
}
INTERACTIVE_REQUIRED = {
    "button_reply": ["button_reply", "button_reply.id", "button_reply.title"],
    "list_reply": ["list_reply", "list_reply.id", "list_reply.title"],
    "nfm_reply": ["nfm_reply", "nfm_reply.response_json"],
}
ENVELOPE_REQUIRED = [
    "object",
    "entry",
    "entry.0.id",
    "entry.0.changes",
    "entry.0.changes.0.field",
    "entry.0.changes.0.value",
    f"{VALUE}.messaging_product",
    f"{VALUE}.metadata",
    f"{VALUE}.metadata.phone_number_id",
    f"{VALUE}.metadata.display_phone_number",
]


# Non-message webhook fields: the keys that say what happened (Meta's webhook reference
# examples, as replayed in pywa's update fixtures).
FIELD_REQUIRED = {
    "message_template_status_update": [
        "event", "message_template_id", "message_template_name", "message_template_language",
    ],
    "message_template_quality_update": ["new_quality_score", "message_template_id"],
    "template_category_update": ["new_category", "message_template_id"],
    "phone_number_quality_update": ["display_phone_number", "event"],
    "phone_number_name_update": ["display_phone_number", "decision"],
    "account_update": ["event"],
    "security": ["event"],
    "user_preferences": ["messaging_product", "user_preferences", "user_preferences.0.category"],
    "smb_message_echoes": ["messaging_product", "message_echoes", "message_echoes.0.from"],
    "smb_app_state_sync": ["messaging_product", "state_sync"],
    "history": ["messaging_product", "history"],
    "calls": ["messaging_product", "calls", "calls.0.id", "calls.0.event"],
}  # fmt: skip


def _required_paths(name: str) -> list[str]:
    event = SAMPLES[name]
    change = event["payload"]["entry"][0]["changes"][0]
    value = change["value"]
    if change["field"] != "messages":
        return ENVELOPE_REQUIRED[:6] + [f"{VALUE}.{k}" for k in FIELD_REQUIRED[change["field"]]]
    paths = list(ENVELOPE_REQUIRED)
    if "messages" in value:
        message = value["messages"][0]
        paths += [f"{MSG}.{k}" for k in ("id", "timestamp", "type", "from") if k in message]
        if message["type"] != "interactive" or "interactive" in message:
            paths += [f"{MSG}.{p}" for p in REQUIRED_BY_TYPE.get(message["type"], [])]
        if message["type"] == "interactive" and "interactive" in message:
            sub = message["interactive"]["type"]
            paths += [f"{MSG}.interactive.{p}" for p in INTERACTIVE_REQUIRED[sub]]
        if "referral" in message:
            paths += [f"{MSG}.referral.{k}" for k in ("source_url", "source_id", "source_type")]
    for i, status in enumerate(value.get("statuses", [])):
        base = f"{VALUE}.statuses.{i}"
        paths += [f"{base}.{k}" for k in ("id", "status", "timestamp", "recipient_id")]
        if status["status"] == "failed":
            paths += [f"{base}.errors", f"{base}.errors.0.code", f"{base}.errors.0.title"]
        if "conversation" in status:
            paths.append(f"{base}.conversation.id")
        if "pricing" in status:
            paths += [f"{base}.pricing.pricing_model", f"{base}.pricing.category"]
    if "errors" in value:
        paths += [f"{VALUE}.errors", f"{VALUE}.errors.0.code", f"{VALUE}.errors.0.title"]
    return paths


REMOVALS = [(name, path) for name in sorted(SAMPLES) for path in _required_paths(name)]


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_sample_validates(name: str) -> None:
    schemas.validate(SCHEMA, SAMPLES[name]["payload"])


@pytest.mark.parametrize(("name", "path"), REMOVALS, ids=[f"{n}-{p}" for n, p in REMOVALS])
def test_schema_rejects_a_missing_required_field(name: str, path: str) -> None:
    broken = without(SAMPLES[name]["payload"], path)
    assert schemas.errors(SCHEMA, broken), f"{name} without {path} was accepted"


WRONG_TYPES = [
    # Meta sends epoch seconds as STRINGS (docs/meta-contract.md §a): a number means our builder is
    # wrong, so the schema refuses it; gateways may still tolerate numbers (P1-03).
    ("wa.text", f"{MSG}.timestamp", 1760345157),
    ("wa.text", f"{MSG}.timestamp", "2025-10-13T08:45:57Z"),
    ("wa.status.read", f"{STATUS}.timestamp", 1760345157),
    ("wa.status.sent.v23", f"{STATUS}.conversation.expiration_timestamp", 1760431557),
    ("wa.text", "object", "page"),
    ("wa.text", "entry", {"id": "102290129340398"}),
    ("wa.text", f"{VALUE}.messaging_product", "instagram"),
    ("wa.text", f"{VALUE}.messages", []),
    ("wa.text", f"{MSG}.text.body", 42),
    ("wa.text", f"{MSG}.from", "+33 6 12 34 56 78"),
    ("wa.location", f"{MSG}.location.latitude", "48.855641"),
    ("wa.audio.voice", f"{MSG}.audio.voice", "true"),
    ("wa.order", f"{MSG}.order.product_items.0.quantity", "2"),
    ("wa.status.read", f"{STATUS}.status", "delivred"),
    ("wa.status.failed", f"{STATUS}.errors.0.code", "131049"),
    ("wa.errors", f"{VALUE}.errors.0.code", "130429"),
    ("wa.status.sent", f"{STATUS}.pricing.billable", "true"),
]


@pytest.mark.parametrize(
    ("name", "path", "bad"), WRONG_TYPES, ids=[f"{n}-{p}" for n, p, _ in WRONG_TYPES]
)
def test_schema_rejects_a_wrong_type(name: str, path: str, bad: Any) -> None:
    broken = with_value(SAMPLES[name]["payload"], path, bad)
    assert schemas.errors(SCHEMA, broken), f"{name} with {path}={bad!r} was accepted"


def _add_unknown_fields(node: Any) -> None:
    if isinstance(node, dict):
        for child in list(node.values()):
            _add_unknown_fields(child)
        node["field_meta_added_later"] = {"rollout": "2027", "enabled": True}
    elif isinstance(node, list):
        for child in node:
            _add_unknown_fields(child)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_unknown_fields_are_tolerated_on_every_object(name: str) -> None:
    payload = copy.deepcopy(SAMPLES[name]["payload"])
    _add_unknown_fields(payload)
    schemas.validate(SCHEMA, payload)


def test_an_unknown_message_type_is_tolerated_since_meta_adds_types() -> None:
    payload = with_value(SAMPLES["wa.text"]["payload"], f"{MSG}.type", "request_welcome")
    schemas.validate(SCHEMA, without(payload, f"{MSG}.text"))


def test_v24_statuses_without_conversation_and_v23_with_conversation_both_pass() -> None:
    v23 = SAMPLES["wa.status.sent.v23"]["payload"]
    assert "id" in v23["entry"][0]["changes"][0]["value"]["statuses"][0]["conversation"]
    schemas.validate(SCHEMA, v23)
    schemas.validate(SCHEMA, without(v23, f"{STATUS}.conversation"))


def test_removed_reaction_passes_with_emoji_omitted_or_empty() -> None:
    omitted = SAMPLES["wa.reaction.removed"]["payload"]
    assert "emoji" not in omitted["entry"][0]["changes"][0]["value"]["messages"][0]["reaction"]
    schemas.validate(SCHEMA, omitted)
    schemas.validate(SCHEMA, SAMPLES["wa.reaction.removed.empty_emoji"]["payload"])


def test_from_may_be_missing_only_when_the_contact_has_a_bsuid() -> None:
    classic = SAMPLES["wa.text"]["payload"]
    bsuid = with_value(
        without(classic, f"{VALUE}.contacts.0.wa_id"),
        f"{VALUE}.contacts.0.user_id",
        "US.13491208655302741918",
    )
    schemas.validate(SCHEMA, without(bsuid, f"{MSG}.from"))
    assert schemas.errors(SCHEMA, without(classic, f"{MSG}.from"))
    no_id = without(without(classic, f"{VALUE}.contacts.0.wa_id"), f"{MSG}.from")
    assert schemas.errors(SCHEMA, no_id), "a contact with neither wa_id nor user_id was accepted"
    bad_bsuid = with_value(bsuid, f"{VALUE}.contacts.0.user_id", "13491208655302741918")
    assert schemas.errors(SCHEMA, bad_bsuid), "a BSUID without its country prefix was accepted"


def test_a_failed_status_needs_errors_but_a_read_one_does_not() -> None:
    failed = SAMPLES["wa.status.failed"]["payload"]
    assert schemas.errors(SCHEMA, without(failed, f"{STATUS}.errors"))
    schemas.validate(SCHEMA, SAMPLES["wa.status.read"]["payload"])
    read_as_failed = with_value(SAMPLES["wa.status.read"]["payload"], f"{STATUS}.status", "failed")
    assert schemas.errors(SCHEMA, read_as_failed)


def test_a_non_messages_field_only_needs_an_object_value() -> None:
    change = {
        "field": "account_update",
        "value": {"phone_number": "15550783881", "event": "VERIFIED_ACCOUNT"},
    }
    payload = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [change]}],
    }
    schemas.validate(SCHEMA, payload)
