"""Batches as Meta sends them: N entries x M changes x K updates, at most 1000 per POST."""

from __future__ import annotations

import pytest

from metasim.simulator import catalogue, schemas
from metasim.simulator.builders.batch import BatchError, batch, count_updates, wrap
from metasim.simulator.context import BuildContext


def ctx() -> BuildContext:
    return BuildContext.seeded(11, now=1764000000)


def wa_values(payload: dict) -> list[dict]:
    return [c["value"] for e in payload["entry"] for c in e["changes"]]


def test_wa_3x2x2_has_the_requested_shape_and_distinct_ids():
    payload = batch("wa", entries=3, changes=2, messages=2, ctx=ctx())
    assert payload["object"] == "whatsapp_business_account"
    assert len(payload["entry"]) == 3 and all(len(e["changes"]) == 2 for e in payload["entry"])
    values = wa_values(payload)
    assert all(len(v["messages"]) == 2 for v in values)
    ids = [m["id"] for v in values for m in v["messages"]]
    assert len(ids) == 12 == len(set(ids))
    for value in values:  # every sender of a value has its contact
        senders = {m["from"] for m in value["messages"]}
        assert senders <= {c["wa_id"] for c in value["contacts"]}
    schemas.validate("whatsapp/webhook", payload)


def test_wa_mix_keeps_messages_and_statuses_in_separate_values():
    mix = ["wa.text", "wa.status.delivered", "wa.image", "wa.status.read"]
    payload = batch("wa", 2, 4, 3, ctx(), mix=mix, dialect="classic")
    values = wa_values(payload)
    with_messages = [v for v in values if "messages" in v]
    with_statuses = [v for v in values if "statuses" in v]
    assert len(with_messages) == len(with_statuses) == 4
    assert not any("messages" in v and "statuses" in v for v in values)
    # before business-scoped ids, statuses carried no contacts
    assert all("contacts" not in v for v in with_statuses)
    types = {m["type"] for v in with_messages for m in v["messages"]}
    states = {s["status"] for v in with_statuses for s in v["statuses"]}
    assert types == {"text", "image"} and states == {"delivered", "read"}
    schemas.validate("whatsapp/webhook", payload)


def test_exactly_1000_updates_is_allowed_1001_is_refused():
    payload = batch("wa", 10, 10, 10, ctx())
    assert count_updates(payload) == 1000
    with pytest.raises(BatchError, match=r"1001 updates.*at most 1000"):
        batch("wa", 7, 11, 13, ctx())
    with pytest.raises(BatchError, match="at most 1000"):
        batch("msg", 1001, 1, 1, ctx())


@pytest.mark.parametrize("channel", ["ig", "msg"])
def test_instagram_and_messenger_batch_by_entries(channel):
    payload = batch(channel, entries=5, messages=1, ctx=ctx())
    assert payload["object"] == {"ig": "instagram", "msg": "page"}[channel]
    assert len(payload["entry"]) == 5 and all(len(e["messaging"]) == 1 for e in payload["entry"])
    mids = [e["messaging"][0]["message"]["mid"] for e in payload["entry"]]
    assert len(set(mids)) == 5
    assert all(isinstance(e["time"], int) for e in payload["entry"])
    schemas.validate({"ig": "instagram/webhook", "msg": "messenger/webhook"}[channel], payload)
    with pytest.raises(BatchError, match="no changes level"):
        batch(channel, 2, 2, 1, ctx())


def test_bad_shapes_and_mixes_are_refused_clearly():
    with pytest.raises(BatchError, match="entries must be at least 1"):
        batch("wa", 0, 1, 1, ctx())
    with pytest.raises(BatchError, match="unknown channel 'sms'"):
        batch("sms", 1, 1, 1, ctx())
    with pytest.raises(BatchError, match=r"'ig\.text' is not a single wa event"):
        batch("wa", 1, 1, 1, ctx(), mix=["ig.text"])
    with pytest.raises(catalogue.UnknownEvent):
        batch("wa", 1, 1, 1, ctx(), mix=["wa.txt"])


def test_wrap_puts_n_copies_of_one_event_in_one_post():
    payload = wrap("wa.status.read", 7, ctx())
    statuses = payload["entry"][0]["changes"][0]["value"]["statuses"]
    assert len(statuses) == 7 and {s["status"] for s in statuses} == {"read"}
    assert len(wrap("msg.text", 3, ctx())["entry"]) == 3
    with pytest.raises(BatchError, match="already a batch"):
        wrap("batch.wa.3x2x2", 2, ctx())


def test_progress_reports_every_update():
    seen: list[tuple[int, int]] = []
    batch("wa", 2, 2, 3, ctx(), progress=lambda done, total: seen.append((done, total)))
    assert seen[0] == (1, 12) and seen[-1] == (12, 12) and len(seen) == 12


def test_same_seed_same_batch():
    assert batch("wa", 2, 2, 2, ctx()) == batch("wa", 2, 2, 2, ctx())
