"""The WhatsApp builder: fresh ids, tenant, clock and dialects; status webhooks; valid output."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest

from metasim.simulator import schemas
from metasim.simulator.builders import whatsapp as wa
from metasim.simulator.context import BuildContext, Tenant
from tests.support.catalogue_contract import KEYS
from tests.support.json_docs import load_samples

SAMPLES = load_samples("whatsapp")
SCHEMA = "whatsapp/webhook"
NOW = 1767225600  # 2026-01-01T00:00:00Z
TENANT = Tenant(
    waba_id="209871234567890", phone_number_id="300111222333444", display_phone_number="33170001122"
)
BSUID = re.compile(r"^[A-Z]{2}\.[0-9]+$")
NAME_DIALECTS = [(name, d) for name in sorted(SAMPLES) for d in SAMPLES[name]["dialects"]]


def ctx(seed: int = 7) -> BuildContext:
    return BuildContext.seeded(seed, now=NOW, tenant=TENANT)


def value_of(payload: dict[str, Any]) -> dict[str, Any]:
    value: dict[str, Any] = payload["entry"][0]["changes"][0]["value"]
    return value


def message_of(payload: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = value_of(payload)["messages"][0]
    return message


@pytest.mark.parametrize(
    ("name", "dialect"), NAME_DIALECTS, ids=[f"{n}-{d}" for n, d in NAME_DIALECTS]
)
def test_every_sample_refreshed_in_each_of_its_dialects_validates(name: str, dialect: str) -> None:
    schemas.validate(SCHEMA, wa.refresh(SAMPLES[name]["payload"], ctx(), dialect=dialect))


def test_catalogue_contract_fields_and_required_names() -> None:
    for name, event in SAMPLES.items():
        assert set(event) == KEYS, name
        assert event["channel"] == "wa" and name.startswith("wa.")
        assert event["dialects"] and set(event["dialects"]) <= {"dual", "classic", "bsuid"}
        if '"wa_id"' in json.dumps(event["payload"]) or '"from"' in json.dumps(event["payload"]):
            assert "classic" in event["dialects"], name  # a phone can always be shown alone
        value = value_of(event["payload"])
        if "messages" in value:
            assert event["message_type"] == value["messages"][0]["type"], name
        else:
            assert event["message_type"] is None and event["processable"] is False, name
    wanted = [
        "wa.text",
        "wa.text.reply",
        "wa.text.forwarded",
        "wa.text.referral",
        "wa.image",
        "wa.audio",
        "wa.audio.voice",
        "wa.video",
        "wa.document",
        "wa.sticker",
        "wa.sticker.animated",
        "wa.location",
        "wa.contacts",
        "wa.interactive.button_reply",
        "wa.interactive.list_reply",
        "wa.interactive.nfm_reply",
        "wa.button",
        "wa.reaction",
        "wa.reaction.removed",
        "wa.reaction.removed.empty_emoji",
        "wa.order",
        "wa.system",
        "wa.unsupported",
        "wa.errors",
        "wa.status.sent",
        "wa.status.delivered",
        "wa.status.read",
        "wa.status.played",
        "wa.status.failed",
        "wa.status.sent.v23",
        "wa.text.non_ascii",
    ]
    assert not set(wanted) - set(SAMPLES)
    assert SAMPLES["wa.reaction.removed"]["processable"] is False


def test_refresh_replaces_ids_clock_and_tenant_and_keeps_the_content() -> None:
    original = SAMPLES["wa.text.reply"]["payload"]
    before = copy.deepcopy(original)
    fresh = wa.refresh(original, ctx())
    assert original == before, "refresh mutated its input"
    assert fresh["entry"][0]["id"] == "209871234567890"
    assert value_of(fresh)["metadata"] == {
        "display_phone_number": "33170001122",
        "phone_number_id": "300111222333444",
    }
    msg, old = message_of(fresh), message_of(original)
    assert msg["timestamp"] == "1767225600"
    assert msg["id"].startswith("wamid.") and msg["id"] != old["id"]
    assert (
        msg["context"]["id"].startswith("wamid.") and msg["context"]["id"] != old["context"]["id"]
    )
    assert msg["context"]["from"] == "33170001122", "a reply quotes the business number"
    contact = value_of(fresh)["contacts"][0]
    assert contact["wa_id"] == msg["from"] != old["from"]
    assert re.fullmatch(r"[0-9]{11,13}", msg["from"])
    assert contact["profile"]["name"] != value_of(original)["contacts"][0]["profile"]["name"]
    assert msg["text"] == old["text"] and msg["type"] == "text"


@pytest.mark.parametrize("kind", ["image", "audio", "video", "document", "sticker"])
def test_media_gets_a_fresh_id_and_a_lookaside_url_naming_it(kind: str) -> None:
    original = message_of(SAMPLES[f"wa.{kind}"]["payload"])[kind]
    media = message_of(wa.refresh(SAMPLES[f"wa.{kind}"]["payload"], ctx()))[kind]
    assert media["id"] != original["id"] and media["id"].isdigit()
    assert media["url"].startswith(
        "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid="
    )
    assert f"mid={media['id']}&ext=" in media["url"] and "&hash=" in media["url"]
    assert media["mime_type"] == original["mime_type"]


def test_status_refresh_keeps_v23_conversation_shape_with_fresh_values() -> None:
    original = value_of(SAMPLES["wa.status.sent.v23"]["payload"])["statuses"][0]
    status = value_of(wa.refresh(SAMPLES["wa.status.sent.v23"]["payload"], ctx()))["statuses"][0]
    assert status["timestamp"] == "1767225600"
    assert status["conversation"]["id"] != original["conversation"]["id"]
    assert status["conversation"]["expiration_timestamp"] == str(NOW + 86400)
    assert status["pricing"] == original["pricing"]
    assert status["recipient_id"] != original["recipient_id"]


def test_refresh_is_reproducible_with_a_seed_and_differs_across_seeds() -> None:
    sample = SAMPLES["wa.image"]["payload"]
    assert wa.refresh(sample, ctx(7)) == wa.refresh(sample, ctx(7))
    first, other = message_of(wa.refresh(sample, ctx(7))), message_of(wa.refresh(sample, ctx(8)))
    assert first["id"] != other["id"]
    assert first["from"] != other["from"]
    assert first["image"]["id"] != other["image"]["id"]


def test_two_refreshes_on_one_context_give_different_ids() -> None:
    shared = ctx()
    a, b = (
        wa.refresh(SAMPLES["wa.text"]["payload"], shared),
        wa.refresh(SAMPLES["wa.text"]["payload"], shared),
    )
    assert message_of(a)["id"] != message_of(b)["id"]


@pytest.mark.parametrize(
    "name", [n for n in sorted(SAMPLES) if {"bsuid", "classic"} <= set(SAMPLES[n]["dialects"])]
)
def test_bsuid_dialect_has_user_ids_and_no_phone_number(name: str) -> None:
    fresh = wa.refresh(SAMPLES[name]["payload"], ctx(), dialect="bsuid")
    value = value_of(fresh)
    classic_phone = value_of(wa.refresh(SAMPLES[name]["payload"], ctx()))
    for contact in value.get("contacts", []):
        assert "wa_id" not in contact
        assert BSUID.match(contact["user_id"])
    for message in value.get("messages", []):
        assert "from" not in message
        if "contacts" in value:
            assert message["from_user_id"] == value["contacts"][0]["user_id"]
            assert value["contacts"][0]["profile"]["username"]
        else:  # system notices come without contacts[]
            assert BSUID.match(message["from_user_id"])
    for status in value.get("statuses", []):
        assert "recipient_id" not in status
        assert BSUID.match(status["recipient_user_id"])
    phones = [c["wa_id"] for c in classic_phone.get("contacts", [])]
    phones += [s["recipient_id"] for s in classic_phone.get("statuses", [])]
    assert phones and not any(p in json.dumps(fresh) for p in phones)


@pytest.mark.parametrize("name", [n for n in sorted(SAMPLES) if "dual" in SAMPLES[n]["dialects"]])
def test_dual_dialect_carries_phone_and_business_scoped_id_together(name: str) -> None:
    # A 2026 capture: contacts[{profile, wa_id, user_id}] and messages[{from, from_user_id}];
    # statuses to a phone carry contacts[{wa_id, user_id}] as well.
    value = value_of(wa.refresh(SAMPLES[name]["payload"], ctx(), dialect="dual"))
    by_phone = {c["wa_id"]: c["user_id"] for c in value.get("contacts", []) if "wa_id" in c}
    for user_id in by_phone.values():
        assert BSUID.match(user_id)
    for message in value.get("messages", []):
        if "from" in message:
            assert BSUID.match(message["from_user_id"])
            if by_phone:
                assert message["from_user_id"] == by_phone[message["from"]]
    for status in value.get("statuses", []):
        assert "recipient_id" in status
        if status["status"] != "failed":
            assert by_phone[status["recipient_id"]]
    if "messages" in value and value["messages"][0]["type"] != "system":
        assert by_phone


def test_dual_is_the_default_dialect() -> None:
    value = value_of(wa.refresh(SAMPLES["wa.text"]["payload"], ctx()))
    contact, message = value["contacts"][0], value["messages"][0]
    assert list(contact) == ["profile", "wa_id", "user_id"]
    assert list(message)[:2] == ["from", "from_user_id"]
    assert message["from"] == contact["wa_id"]
    assert message["from_user_id"] == contact["user_id"]


def test_unknown_dialect_is_refused_listing_the_allowed_ones() -> None:
    with pytest.raises(ValueError, match=r"'phone'.*classic, bsuid"):
        wa.refresh(SAMPLES["wa.text"]["payload"], ctx(), dialect="phone")


@pytest.mark.parametrize("status", ["sent", "delivered", "read", "played"])
def test_status_payload_validates(status: str) -> None:
    payload = wa.status_payload(
        ctx(),
        wamid="wamid.HBgLMzM2MTIzNDU2NzgVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA",
        status=status,
        recipient_id="33612345678",
    )
    schemas.validate(SCHEMA, payload)
    item = value_of(payload)["statuses"][0]
    assert item == {
        "id": "wamid.HBgLMzM2MTIzNDU2NzgVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA",
        "status": status,
        "timestamp": "1767225600",
        "recipient_id": "33612345678",
    }
    assert payload["entry"][0]["id"] == "209871234567890"
    assert value_of(payload)["metadata"]["phone_number_id"] == "300111222333444"
    # today's statuses to a phone name the user's business-scoped id too
    (contact,) = value_of(payload)["contacts"]
    assert contact["wa_id"] == "33612345678" and BSUID.match(contact["user_id"])
    classic = wa.status_payload(
        ctx(), wamid=item["id"], status=status, recipient_id="33612345678", dialect="classic"
    )
    assert "contacts" not in value_of(classic), "classic status webhooks carry no contacts"


def test_one_user_keeps_one_business_scoped_id_across_messages_and_statuses() -> None:
    message = value_of(wa.refresh(SAMPLES["wa.text"]["payload"], ctx()))
    phone, user_id = message["contacts"][0]["wa_id"], message["contacts"][0]["user_id"]
    status = wa.status_payload(ctx(), wamid="wamid.X", status="read", recipient_id=phone)
    assert value_of(status)["contacts"] == [{"wa_id": phone, "user_id": user_id}]


def test_status_echoes_biz_opaque_callback_data() -> None:
    status = wa.status_payload(
        ctx(), wamid="wamid.X", status="sent", recipient_id="33612345678",
        biz_opaque_callback_data="order-42",
    )  # fmt: skip
    assert value_of(status)["statuses"][0]["biz_opaque_callback_data"] == "order-42"


def test_status_payload_failed_with_errors_pricing_conversation_and_other_number() -> None:
    errors = [
        {
            "code": 131049,
            "title": "This message was not delivered to maintain healthy ecosystem engagement.",
            "href": "/documentation/business-messaging/whatsapp/support/error-codes",
        }
    ]
    payload = wa.status_payload(
        ctx(),
        wamid="wamid.abc",
        status="failed",
        recipient_id="16505551234",
        phone_number_id="999000111222333",
        errors=errors,
    )
    schemas.validate(SCHEMA, payload)
    assert value_of(payload)["statuses"][0]["errors"] == errors
    assert value_of(payload)["metadata"]["phone_number_id"] == "999000111222333"
    priced = wa.status_payload(
        ctx(),
        wamid="wamid.abc",
        status="sent",
        recipient_id="16505551234",
        pricing={
            "billable": True,
            "pricing_model": "PMP",
            "type": "regular",
            "category": "utility",
        },
        conversation={"id": "b1946ac92492d2347c6235b4d2611184", "origin": {"type": "utility"}},
    )
    schemas.validate(SCHEMA, priced)
    assert (
        value_of(priced)["statuses"][0]["conversation"]["id"] == "b1946ac92492d2347c6235b4d2611184"
    )


def test_status_payload_to_a_bsuid_uses_recipient_user_id() -> None:
    payload = wa.status_payload(
        ctx(), wamid="wamid.abc", status="delivered", recipient_id="US.13491208655302741918"
    )
    schemas.validate(SCHEMA, payload)
    item = value_of(payload)["statuses"][0]
    assert item["recipient_user_id"] == "US.13491208655302741918" and "recipient_id" not in item
    assert value_of(payload)["contacts"] == [{"user_id": "US.13491208655302741918"}]


@pytest.mark.parametrize(
    ("status", "errors", "message"),
    [
        ("delivred", None, "unknown status"),
        ("failed", None, "needs errors"),
        ("read", [{"code": 1, "title": "x"}], "only on 'failed'"),
    ],
)
def test_status_payload_refuses_what_meta_never_sends(
    status: str, errors: Any, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        wa.status_payload(
            ctx(), wamid="wamid.abc", status=status, recipient_id="16505551234", errors=errors
        )


def test_statuses_batch_in_one_change_or_one_change_each() -> None:
    shared = ctx()
    webhooks = [
        wa.status_payload(shared, wamid=f"wamid.m{i}", status=s, recipient_id="4915112345678")
        for i, s in enumerate(("sent", "delivered", "read"))
    ]
    combined = wa.statuses_batch(shared, webhooks)
    schemas.validate(SCHEMA, combined)
    assert [s["status"] for s in value_of(combined)["statuses"]] == ["sent", "delivered", "read"]
    spread = wa.statuses_batch(
        shared, [value_of(w)["statuses"][0] for w in webhooks], one_change=False
    )
    schemas.validate(SCHEMA, spread)
    assert [c["value"]["statuses"][0]["id"] for c in spread["entry"][0]["changes"]] == [
        "wamid.m0",
        "wamid.m1",
        "wamid.m2",
    ]
    with pytest.raises(ValueError, match="at least one"):
        wa.statuses_batch(shared, [])
    with pytest.raises(ValueError, match="not a status object"):
        wa.statuses_batch(shared, [{"id": "wamid.m9"}])


def test_message_payload_sets_fields_on_the_type_object_or_the_message() -> None:
    payload = wa.message_payload(ctx(), "text", body="Bonjour, avez-vous reçu ma commande ?")
    schemas.validate(SCHEMA, payload)
    assert message_of(payload)["text"]["body"] == "Bonjour, avez-vous reçu ma commande ?"
    reply = wa.message_payload(
        ctx(),
        "interactive.list_reply",
        dialect="bsuid",
        context={"from": "33170001122", "id": "wamid.sent1"},
    )
    schemas.validate(SCHEMA, reply)
    assert message_of(reply)["context"]["id"] == "wamid.sent1" and "from" not in message_of(reply)
    with pytest.raises(ValueError, match=r"wa\.gif.*text"):
        wa.message_payload(ctx(), "gif")
    with pytest.raises(ValueError, match="not a mapping"):
        wa.message_payload(ctx(), "contacts", formatted_name="Julie")


def test_non_ascii_text_is_escaped_as_meta_sends_it() -> None:
    from metasim.simulator.signing import meta_bytes

    body = meta_bytes(wa.refresh(SAMPLES["wa.text.non_ascii"]["payload"], ctx()))
    assert b"tr\\u00e8s" in body and b"\\ud83d\\udc4d" in body
    assert b"https:\\/\\/exemple.fr\\/commandes\\/" in body
    assert max(body) < 128


def test_the_catalogue_builds_whatsapp_events_through_this_builder() -> None:
    from metasim.simulator import catalogue

    assert "wa.status.played" in catalogue.names("wa")
    built = catalogue.build("wa.audio.voice", ctx(), dialect="bsuid")
    schemas.validate(SCHEMA, built)
    assert built == wa.refresh(SAMPLES["wa.audio.voice"]["payload"], ctx(), dialect="bsuid")
