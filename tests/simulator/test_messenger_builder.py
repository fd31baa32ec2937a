"""Messenger builder: fresh, valid, reproducible payloads; echoes swapped; receipts for the fake Graph API."""

from __future__ import annotations

import copy
import json

import pytest

from metasim.simulator import catalogue
from metasim.simulator.builders import messenger
from metasim.simulator.context import BuildContext, Tenant
from metasim.simulator.schemas import errors

NOW = 1767300000.25  # 2026-01-01T20:40:00.250Z
NOW_MS = 1767300000250
NAMES = catalogue.names("msg")
SAMPLE_NAMES = [n for n in NAMES if n.startswith("msg.")]


def event_of(payload: dict) -> dict:
    entry = payload["entry"][0]
    return (entry.get("messaging") or entry["standby"])[0]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("name", NAMES)
def test_every_built_event_is_valid(name: str, seed: int) -> None:
    assert (
        errors("messenger/webhook", catalogue.build(name, BuildContext.seeded(seed, now=NOW))) == []
    )


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_same_seed_and_clock_give_the_same_bytes(name: str) -> None:
    first = catalogue.build(name, BuildContext.seeded(7, now=NOW))
    again = catalogue.build(name, BuildContext.seeded(7, now=NOW))
    assert json.dumps(first, sort_keys=True) == json.dumps(again, sort_keys=True)


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_other_seeds_give_other_ids(name: str) -> None:
    one = event_of(catalogue.build(name, BuildContext.seeded(1, now=NOW)))
    two = event_of(catalogue.build(name, BuildContext.seeded(2, now=NOW)))
    user = "recipient" if name == "msg.echo" else "sender"
    assert one[user]["id"] != two[user]["id"]
    assert one != two


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_refresh_addresses_the_tenant_page_at_the_context_time(name: str) -> None:
    tenant = Tenant(page_id="998877665544332")
    ctx = BuildContext.seeded(3, now=NOW, tenant=tenant)
    sample = catalogue.sample(name)
    payload = catalogue.build(name, ctx)
    entry, event = payload["entry"][0], event_of(payload)
    assert entry["id"] == "998877665544332"
    assert entry["time"] == NOW_MS
    page_side = "sender" if name == "msg.echo" else "recipient"
    user_side = "recipient" if name == "msg.echo" else "sender"
    assert event[page_side]["id"] == "998877665544332"
    assert event[user_side]["id"] != event_of(sample)[user_side]["id"]
    assert len(event[user_side]["id"]) == 16 and event[user_side]["id"].isdigit()
    if "timestamp" in event_of(sample):
        assert NOW_MS - 5000 < event["timestamp"] <= NOW_MS  # the user acted just before Meta sent
    else:
        assert "timestamp" not in event  # delivery keeps Meta's shape (no timestamp)


@pytest.mark.parametrize(
    "name", ["msg.text", "msg.reply", "msg.postback", "msg.reaction", "msg.edit", "msg.standby"]
)
def test_every_mid_is_fresh_and_distinct(name: str) -> None:
    sample = json.dumps(catalogue.sample(name))
    payload = catalogue.build(name, BuildContext.seeded(4, now=NOW))
    event = event_of(payload)
    mids = [
        obj["mid"]
        for obj in (event.get(k) for k in ("message", "postback", "reaction", "message_edit"))
        if obj
    ]
    mids += [event["message"]["reply_to"]["mid"]] if "reply_to" in event.get("message", {}) else []
    assert mids and len(set(mids)) == len(mids)
    for mid in mids:
        assert mid.startswith("m_") and mid not in sample


def test_echo_is_sent_by_the_page_to_the_user() -> None:
    event = event_of(catalogue.build("msg.echo", BuildContext.seeded(5, now=NOW)))
    assert event["sender"]["id"] == Tenant().page_id
    assert event["recipient"]["id"] != Tenant().page_id
    assert event["message"]["is_echo"] is True and event["message"]["app_id"] == 1517776481860111


def test_receipt_watermarks_precede_the_event() -> None:
    ctx = BuildContext.seeded(6, now=NOW)
    read = event_of(catalogue.build("msg.read", ctx))
    assert NOW_MS - 10_000 < read["read"]["watermark"] <= read["timestamp"] <= NOW_MS
    delivery = catalogue.build("msg.delivery", ctx)
    watermark = event_of(delivery)["delivery"]["watermark"]
    assert NOW_MS - 10_000 < watermark <= delivery["entry"][0]["time"]


def test_refresh_returns_a_new_payload_and_leaves_its_input_alone() -> None:
    sample = catalogue.sample("msg.reply")
    before = copy.deepcopy(sample)
    out = messenger.refresh(sample, BuildContext.seeded(8, now=NOW))
    assert sample == before and out is not sample
    out["entry"][0]["messaging"][0]["message"]["text"] = "changed"
    assert sample == before


def test_only_the_classic_dialect_exists() -> None:
    with pytest.raises(ValueError, match=r"no dialect 'bsuid'.*allowed: classic"):
        messenger.refresh(catalogue.sample("msg.text"), BuildContext.seeded(1), dialect="bsuid")


def test_a_payload_of_another_channel_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="object 'page', got 'instagram'"):
        messenger.refresh(catalogue.sample("ig.text"), BuildContext.seeded(1))


def test_delivery_payload_acknowledges_the_given_mids() -> None:
    mids = ["m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM", "m_Qp3aLk7sN9vXr2TjB5yHcW1eZuM"]
    payload = messenger.delivery_payload(
        BuildContext.seeded(9, now=NOW), mids=mids, psid="7345601928374650"
    )
    assert errors("messenger/webhook", payload) == []
    entry = payload["entry"][0]
    event = entry["messaging"][0]
    assert entry["id"] == Tenant().page_id and entry["time"] == NOW_MS
    assert event["sender"] == {"id": "7345601928374650"} and event["recipient"] == {
        "id": Tenant().page_id
    }
    assert event["delivery"]["mids"] == mids
    assert NOW_MS - 5000 < event["delivery"]["watermark"] <= NOW_MS
    assert "timestamp" not in event


def test_delivery_payload_without_mids_omits_them_and_honours_page_id() -> None:
    payload = messenger.delivery_payload(
        BuildContext.seeded(9, now=NOW), mids=[], psid="734560192837", page_id="5550001"
    )
    assert payload["entry"][0]["id"] == "5550001"
    assert "mids" not in payload["entry"][0]["messaging"][0]["delivery"]
    assert errors("messenger/webhook", payload) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mids": "m_abc", "psid": "123"}, "mids must be a list"),
        ({"mids": ["m_ok", ""], "psid": "123"}, r"mids\[1\]"),
        ({"mids": ["m_ok"], "psid": "user-1"}, "psid must be a Meta id"),
        ({"mids": ["m_ok"], "psid": "123", "page_id": "page"}, "page_id must be a Meta id"),
    ],
)
def test_delivery_payload_names_the_bad_argument(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        messenger.delivery_payload(BuildContext.seeded(1), **kwargs)


def test_read_payload_defaults_the_watermark_to_the_read_time() -> None:
    payload = messenger.read_payload(BuildContext.seeded(10, now=NOW), psid="7345601928374650")
    assert errors("messenger/webhook", payload) == []
    event = payload["entry"][0]["messaging"][0]
    assert (
        event["read"]["watermark"] == event["timestamp"]
        and NOW_MS - 5000 < event["timestamp"] <= NOW_MS
    )
    given = messenger.read_payload(
        BuildContext.seeded(10, now=NOW), psid="73456", watermark=1767299990000
    )
    assert given["entry"][0]["messaging"][0]["read"]["watermark"] == 1767299990000


def test_read_payload_refuses_a_watermark_in_seconds() -> None:
    with pytest.raises(ValueError, match="epoch milliseconds"):
        messenger.read_payload(BuildContext.seeded(1), psid="73456", watermark=1767299990)
