"""The traffic ledger: ownership, stray sends, scoped faults, the late audit and reply loops."""

from __future__ import annotations

import time
from typing import Any

from metasim.simulator.delivery.records import Attempt, DeliveryRecord
from metasim.simulator.graph import create_graph_app
from metasim.simulator.graph.callbacks import SentWebhook
from metasim.simulator.graph.recorder import RecordedCall, call_matches
from metasim.steps.samples import users
from metasim.steps.traffic import Ledger

USER = "33612345678"
OTHER = "33698765432"


def send(app: Any, recipient: str, *, status: int = 200, mid: str = "") -> RecordedCall:
    """A finished WhatsApp send as the fake records it, handed to the listeners."""
    call = app.recorder.new_call(
        time=time.time(),
        method="POST",
        host="graph",
        path="/v25.0/1065/messages",
        query={},
        headers={},
    )
    call.kind, call.recipient, call.type, call.status = "send", recipient, "text", status
    call.body = {"messaging_product": "whatsapp", "to": recipient, "text": {"body": "Bonjour"}}
    call.response = {"messages": [{"id": mid or f"wamid.{call.seq}"}]}
    app.recorder.finish(call)
    return call


def webhook(app: Any, user: str, message_id: str) -> None:
    """The fake sent a read receipt about ``message_id`` and the gateway answered 200."""
    record = DeliveryRecord(
        url="http://gw/webhook/wa",
        channel="wa",
        body=b"{}",
        headers={},
        attempts=(Attempt(number=1, status=200, body_excerpt="", latency_s=0.01),),
        outcome="delivered",
    )
    now = time.monotonic()
    app.callbacks.started.append((user, message_id, ("read",), now))
    app.callbacks.sent.append(SentWebhook("wa", ("read",), message_id, record, user, now))


def test_a_scenario_counts_only_its_own_users_and_the_rest_is_stray() -> None:
    app = create_graph_app()
    ledger = Ledger(app)
    mine = ledger.begin("test_a", "A")
    ledger.claim(mine, [USER])
    send(app, USER)
    send(app, OTHER)
    assert [c.recipient for c in ledger.sends(mine)] == [USER]
    assert [s.call.recipient for s in ledger.stray] == [OTHER]


def test_an_id_owned_by_another_scenario_is_not_taken_over() -> None:
    app = create_graph_app()
    ledger = Ledger(app)
    first, second = ledger.begin("a"), ledger.begin("b")
    ledger.claim(first, [USER])
    assert ledger.claim(second, [USER, OTHER]) == [USER]
    assert ledger.owner(USER) is first and ledger.owner(OTHER) is second


def test_a_fault_scoped_to_a_live_user_set_covers_users_claimed_later() -> None:
    scenario_users: set[str] = set()
    call = RecordedCall(seq=1, time=0.0, method="POST", host="", path="/", query={}, headers={})
    call.kind, call.recipient = "send", USER
    criteria = {"kind": "send", "recipient": scenario_users}
    assert not call_matches(call, criteria)
    scenario_users.add(USER)  # the sample is built after the fault was scripted
    assert call_matches(call, criteria)


def test_a_send_after_the_check_passed_fails_the_scenario_with_its_timing() -> None:
    app = create_graph_app()
    ledger = Ledger(app)
    mine = ledger.begin("test_late", "permanent error not retried")
    ledger.claim(mine, [USER])
    send(app, USER, status=400)
    ledger.allow(mine, "sends", 1, "the fake Graph API sees 1 send attempts")
    ledger.end(mine)
    assert ledger.audit() == []
    send(app, USER, status=200)  # n8n's "Retry On Fail", one second later
    findings = ledger.audit()
    assert [f.nodeid for f in findings] == ["test_late"]
    text = findings[0].message
    assert "a second send" in text and "after the scenario ended" in text
    assert "allowed 1, 2 arrived in all" in text


def test_attempts_after_a_temporary_fault_count_only_until_the_scenario_ended() -> None:
    app = create_graph_app()
    ledger = Ledger(app)
    mine = ledger.begin("test_dlq")
    ledger.claim(mine, [USER])
    mine.retryable_faults = True
    for _ in range(3):
        send(app, USER, status=503)
    ledger.allow(mine, "sends", 3, "the fake Graph API sees 3 send attempts")
    ledger.end(mine)
    send(app, USER)  # the scheduled DLQ handler replays the dead letter: its job
    assert ledger.audit() == []


def test_a_reply_to_the_fakes_own_receipt_is_named_a_loop_and_cut() -> None:
    app = create_graph_app()
    ledger = Ledger(app)
    mine = ledger.begin("test_loop", "a text is answered once")
    ledger.claim(mine, [USER])
    ledger.expect_answers(mine, USER, "wamid.inbound")
    first = send(app, USER, mid="wamid.reply-1")
    webhook(app, USER, "wamid.reply-1")
    assert not mine.loops and not ledger.is_muted(USER)
    send(app, USER, mid="wamid.reply-2")  # the gateway answered the read receipt
    assert len(mine.loops) == 1
    chain = mine.loops[0].describe()
    assert f"reply #{first.seq} to {USER}" in chain
    assert "read webhook for wamid.reply-1 sent to the gateway" in chain
    assert ledger.is_muted(USER), "the webhooks for that user must stop"


def test_a_second_message_answered_after_a_receipt_is_not_a_loop() -> None:
    app = create_graph_app()
    ledger = Ledger(app)
    mine = ledger.begin("test_two")
    ledger.claim(mine, [USER])
    ledger.expect_answers(mine, USER, "wamid.one")
    ledger.expect_answers(mine, USER, "wamid.two")
    send(app, USER, mid="wamid.reply-1")
    webhook(app, USER, "wamid.reply-1")
    send(app, USER, mid="wamid.reply-2")
    assert mine.loops == [] and not ledger.is_muted(USER)


def test_users_are_read_from_messages_statuses_and_messaging_parties() -> None:
    status = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "changes": [
                    {
                        "value": {
                            "metadata": {"phone_number_id": "1065"},
                            "statuses": [{"id": "wamid.x", "recipient_id": USER, "status": "read"}],
                        }
                    }
                ]
            }
        ],
    }
    echo = {
        "object": "page",
        "entry": [
            {
                "messaging": [
                    {
                        "sender": {"id": "112233445566778"},
                        "recipient": {"id": "7654321098765432"},
                        "message": {"is_echo": True, "mid": "m_1"},
                    }
                ]
            }
        ],
    }
    assert users(status, frozenset({"1065"})) == {USER}
    assert users(echo, frozenset({"112233445566778"})) == {"7654321098765432"}


def test_a_reply_to_the_business_itself_belongs_to_the_scenario_of_the_echo() -> None:
    app = create_graph_app()
    ledger = Ledger(app)
    echo = ledger.begin("test_echo", "an echo is ignored")
    page = "112233445566778"
    ledger.claim_echoes(echo, {page})
    for _ in range(4):
        send(app, page, status=400)  # the gateway answers its own echo, again and again
    assert len(ledger.sends(echo)) == 4 and ledger.stray == []
    assert ledger.is_muted(page), "a gateway talking to itself must stop being fed webhooks"
