"""Instagram builder: fresh, valid, reproducible payloads in both forms; echoes swapped; seen receipts."""

from __future__ import annotations

import copy
import json

import pytest

from metasim.simulator import catalogue
from metasim.simulator.builders import instagram
from metasim.simulator.context import BuildContext, Tenant
from metasim.simulator.schemas import errors

NOW = 1767300000.25
NOW_MS = 1767300000250
NAMES = catalogue.names("ig")
SAMPLE_NAMES = [n for n in NAMES if n.startswith("ig.")]
MESSAGING = [n for n in SAMPLE_NAMES if "messaging" in catalogue.sample(n)["entry"][0]]
CHANGES = [n for n in SAMPLE_NAMES if "changes" in catalogue.sample(n)["entry"][0]]


def event_of(payload: dict) -> dict:
    return payload["entry"][0]["messaging"][0]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("name", NAMES)
def test_every_built_event_is_valid(name: str, seed: int) -> None:
    assert (
        errors("instagram/webhook", catalogue.build(name, BuildContext.seeded(seed, now=NOW))) == []
    )


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_same_seed_and_clock_give_the_same_bytes_and_other_seeds_differ(name: str) -> None:
    first = catalogue.build(name, BuildContext.seeded(7, now=NOW))
    again = catalogue.build(name, BuildContext.seeded(7, now=NOW))
    other = catalogue.build(name, BuildContext.seeded(8, now=NOW))
    assert json.dumps(first, sort_keys=True) == json.dumps(again, sort_keys=True)
    assert first != other


def test_is_self_has_the_account_on_both_sides() -> None:
    # "is_self: test message to yourself": the account writes to itself
    ctx = BuildContext.seeded(3, now=NOW, tenant=Tenant(ig_account_id="17841455512345678"))
    event = event_of(catalogue.build("ig.is_self", ctx))
    assert event["sender"]["id"] == event["recipient"]["id"] == "17841455512345678"
    assert event["message"]["is_self"] is True


@pytest.mark.parametrize("name", [n for n in MESSAGING if n != "ig.is_self"])
def test_messaging_events_address_the_tenant_account_at_the_context_time(name: str) -> None:
    ctx = BuildContext.seeded(3, now=NOW, tenant=Tenant(ig_account_id="17841455512345678"))
    sample_user = event_of(catalogue.sample(name))["sender"]["id"]
    payload = catalogue.build(name, ctx)
    entry, event = payload["entry"][0], event_of(payload)
    account_side, user_side = (
        ("sender", "recipient") if name == "ig.echo" else ("recipient", "sender")
    )
    assert entry["id"] == "17841455512345678" and event[account_side]["id"] == "17841455512345678"
    assert event[user_side]["id"].isdigit() and event[user_side]["id"] not in (
        sample_user,
        "17841455512345678",
    )
    assert entry["time"] == NOW_MS
    assert NOW_MS - 5000 < event["timestamp"] <= NOW_MS


@pytest.mark.parametrize("name", MESSAGING)
def test_every_mid_is_fresh_and_looks_like_an_instagram_mid(name: str) -> None:
    sample = json.dumps(catalogue.sample(name))
    event = event_of(catalogue.build(name, BuildContext.seeded(4, now=NOW)))
    objects = [event.get(k) for k in ("message", "postback", "reaction", "read", "message_edit")]
    mids = [o["mid"] for o in objects if o and "mid" in o]
    if "mid" in event.get("message", {}).get("reply_to", {}):
        mids.append(event["message"]["reply_to"]["mid"])
    if name != "ig.referral":
        assert mids
    assert len(set(mids)) == len(mids)
    for mid in mids:
        assert mid.startswith("aWdf") and mid not in sample


def test_echo_is_sent_by_the_account_to_the_user() -> None:
    event = event_of(catalogue.build("ig.echo", BuildContext.seeded(5, now=NOW)))
    assert event["sender"]["id"] == Tenant().ig_account_id
    assert event["recipient"]["id"] != Tenant().ig_account_id
    assert event["message"]["is_echo"] is True


def test_story_reply_keeps_the_story_and_gets_a_fresh_mid() -> None:
    sample = event_of(catalogue.sample("ig.story_reply"))["message"]
    built = event_of(catalogue.build("ig.story_reply", BuildContext.seeded(6, now=NOW)))["message"]
    assert built["reply_to"] == sample["reply_to"] and built["mid"] != sample["mid"]


@pytest.mark.parametrize("name", CHANGES)
def test_changes_get_fresh_comment_ids_and_the_tenant_account(name: str) -> None:
    sample = catalogue.sample(name)["entry"][0]
    entry = catalogue.build(name, BuildContext.seeded(6, now=NOW))["entry"][0]
    assert entry["id"] == Tenant().ig_account_id
    old, new = sample["changes"][0]["value"], entry["changes"][0]["value"]
    for key in ("id", "comment_id", "parent_id"):
        assert (key in new) == (key in old)
        if key in new:
            assert new[key] != old[key] and new[key].isdigit()
    if "from" in new:
        assert (
            new["from"]["id"] != old["from"]["id"]
            and new["from"]["username"] == old["from"]["username"]
        )


def test_entry_time_keeps_the_sample_unit() -> None:
    seconds = catalogue.build("ig.mention", BuildContext.seeded(1, now=NOW))
    millis = catalogue.build("ig.comment.ig_login", BuildContext.seeded(1, now=NOW))
    assert seconds["entry"][0]["time"] == 1767300000  # Meta's mentions example is in seconds
    # a captured Facebook-Login comments webhook is in seconds too
    assert catalogue.build("ig.comment", BuildContext.seeded(1, now=NOW))["entry"][0]["time"] == (
        1767300000
    )
    assert millis["entry"][0]["time"] == NOW_MS


def test_refresh_returns_a_new_payload_and_leaves_its_input_alone() -> None:
    sample = catalogue.sample("ig.comment")
    before = copy.deepcopy(sample)
    out = instagram.refresh(sample, BuildContext.seeded(8, now=NOW))
    out["entry"][0]["changes"][0]["value"]["text"] = "changed"
    assert sample == before


def test_only_the_classic_dialect_exists() -> None:
    with pytest.raises(ValueError, match=r"no dialect 'bsuid'.*allowed: classic"):
        catalogue.build("ig.text", BuildContext.seeded(1), dialect="bsuid")


def test_read_payload_names_the_seen_message() -> None:
    mid = instagram.new_mid(BuildContext.seeded(11))
    payload = instagram.read_payload(
        BuildContext.seeded(11, now=NOW), mid=mid, igsid="6812345678901234"
    )
    assert errors("instagram/webhook", payload) == []
    entry = payload["entry"][0]
    event = entry["messaging"][0]
    assert entry["id"] == Tenant().ig_account_id and entry["time"] == NOW_MS
    assert event["sender"] == {"id": "6812345678901234"} and event["recipient"] == {
        "id": Tenant().ig_account_id
    }
    assert event["read"] == {"mid": mid}
    assert NOW_MS - 5000 < event["timestamp"] <= NOW_MS
    other = instagram.read_payload(
        BuildContext.seeded(11), mid=mid, igsid="68123", ig_id="17841455512345678"
    )
    assert other["entry"][0]["id"] == "17841455512345678"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mid": "", "igsid": "123"}, "mid must be a non-empty"),
        ({"mid": "aWdf1", "igsid": 123}, "igsid must be a Meta id"),
        ({"mid": "aWdf1", "igsid": "123", "ig_id": "me"}, "ig_id must be a Meta id"),
    ],
)
def test_read_payload_names_the_bad_argument(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        instagram.read_payload(BuildContext.seeded(1), **kwargs)
