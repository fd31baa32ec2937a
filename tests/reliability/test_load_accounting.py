"""Exactly-once accounting: each ACKed message is classed from what the fake Graph and DLQ saw."""

from __future__ import annotations

import json
from typing import Any

import pytest

from metasim.simulator.load.accounting import account


def wa_send(text: str, status: int | None = 200) -> dict[str, Any]:
    body = {
        "messaging_product": "whatsapp",
        "to": "33612345678",
        "type": "text",
        "text": {"body": text},
    }
    return {"kind": "send", "status": status, "body": body}


def page_send(text: str) -> dict[str, Any]:
    return {
        "kind": "send",
        "status": 200,
        "body": {"recipient": {"id": "1"}, "message": {"text": text}},
    }


ACKED = {"wamid.A": "mload-1-1", "m_B": "mload-1-2", "wamid.C": "mload-1-3", "wamid.D": "mload-1-4"}


def test_one_reply_each_is_exactly_once() -> None:
    calls = [
        wa_send("mload-1-1"),
        page_send("mload-1-2"),
        wa_send("mload-1-3"),
        wa_send("mload-1-4"),
    ]
    acc = account(ACKED, calls, [])
    assert acc.ok
    assert sorted(acc.replied_once) == sorted(ACKED)
    assert acc.to_json()["lost"] == 0 and acc.to_json()["doubled"] == 0


def test_refused_attempts_before_the_accepted_one_are_not_doubles() -> None:
    calls = [wa_send("mload-1-1", 503), wa_send("mload-1-1", 400), wa_send("mload-1-1", None)]
    calls.append(wa_send("mload-1-1"))
    acc = account({"wamid.A": "mload-1-1"}, calls, [])
    assert acc.ok and acc.replied_once == ["wamid.A"]
    assert acc.refused_calls == 3


def test_missing_reply_is_lost_and_second_reply_is_doubled() -> None:
    calls = [wa_send("mload-1-1"), wa_send("mload-1-1"), page_send("mload-1-2")]
    acc = account(ACKED, calls, [{"msg_id": "wamid.D", "reason": "max-attempts", "body": {}}])
    assert not acc.ok
    assert acc.lost == ["wamid.C"]
    assert list(acc.doubled) == ["wamid.A"]
    assert acc.dead_lettered == {"wamid.D": "max-attempts"}
    table = acc.table()
    assert "FAILED" in table and "wamid.C" in table and "wamid.A" in table


def test_dead_letter_found_by_the_token_in_its_body_when_msg_id_is_absent() -> None:
    dead = [{"msg_id": None, "reason": "graph-4xx", "body": wa_send("mload-1-3")["body"]}]
    acc = account({"wamid.C": "mload-1-3"}, [], dead)
    assert acc.ok and acc.dead_lettered == {"wamid.C": "graph-4xx"}
    assert acc.to_json()["dead_letter_reasons"] == {"graph-4xx": 1}


def test_reply_and_dead_letter_for_the_same_message_is_a_double() -> None:
    dead = [{"msg_id": "wamid.A", "reason": "max-attempts", "body": {}}]
    acc = account({"wamid.A": "mload-1-1"}, [wa_send("mload-1-1")], dead)
    assert list(acc.doubled) == ["wamid.A"]


def test_reply_parked_as_inflight_at_crash_is_not_a_double() -> None:
    # the gateway cannot know whether a send cut by SIGKILL left; it parks it for a human
    dead = [{"msg_id": "wamid.A", "reason": "inflight-at-crash", "body": {}}]
    acc = account({"wamid.A": "mload-1-1"}, [wa_send("mload-1-1")], dead)
    assert acc.ok and acc.dead_lettered == {"wamid.A": "inflight-at-crash"}


def test_reply_whose_answer_was_lost_parked_as_ambiguous_is_not_a_double() -> None:
    # Graph accepted the send, the gateway never heard so and parked it instead of re-sending
    dead = [{"msg_id": "wamid.A", "reason": "ambiguous", "body": {}}]
    acc = account({"wamid.A": "mload-1-1"}, [wa_send("mload-1-1")], dead)
    assert acc.ok and acc.dead_lettered == {"wamid.A": "ambiguous"}
    # but a second accepted reply beside it is a double all the same
    twice = account({"wamid.A": "mload-1-1"}, [wa_send("mload-1-1"), wa_send("mload-1-1")], dead)
    assert list(twice.doubled) == ["wamid.A"]


def test_other_calls_and_foreign_replies_are_reported_not_matched() -> None:
    calls = [
        {"kind": "mark_read", "status": 200, "body": {"status": "read", "message_id": "wamid.A"}},
        wa_send("[image]"),
        wa_send("mload-9-9"),  # a load token nobody ACKed: Meta would have redelivered it
        wa_send("mload-1-1"),
    ]
    acc = account({"wamid.A": "mload-1-1"}, calls, [])
    assert acc.ok
    assert (acc.untracked_replies, acc.unacked_replies) == (1, 1)


def test_body_recorded_as_a_json_string_still_counts() -> None:
    call = {"kind": "send", "status": 200, "body": json.dumps(wa_send("hello mload-1-1")["body"])}
    assert account({"wamid.A": "mload-1-1"}, [call], []).replied_once == ["wamid.A"]


def test_json_document_is_serialisable_and_complete() -> None:
    acc = account(ACKED, [wa_send("mload-1-1")], [])
    doc = json.loads(json.dumps(acc.to_json()))
    assert doc["total"] == 4 and doc["replied_once"] == 1 and doc["lost"] == 3
    assert sorted(doc["lost_ids"]) == ["m_B", "wamid.C", "wamid.D"]
    assert doc["ok"] is False


def test_shared_token_is_refused() -> None:
    with pytest.raises(ValueError, match="unique"):
        account({"a": "mload-1-1", "b": "mload-1-1"}, [], [])
