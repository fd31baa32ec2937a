"""Closed loop: accepted sends produce signed status webhooks back to the gateway's webhook."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from metasim.simulator import schemas
from metasim.simulator.graph import CallbackSettings, GraphApp, graph_router

from .conftest import BEARER, GRAPH, IG, PAGE, SEND, WA, make_graph, page_text, wa_text

SECRET = "b7e2f0c4d9a14e6f8a3c5d7e9f1a2b3c"


class Receiver:
    """A gateway stand-in (ASGI) that keeps every webhook POST: path, headers, raw body."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        self.posts.append({"path": scope["path"], "headers": headers, "body": body})
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"EVENT_RECEIVED"})

    def verified(self) -> list[dict[str, Any]]:
        """Every payload, after checking its signature with an independent HMAC."""
        out = []
        for post in self.posts:
            expected = hmac.new(SECRET.encode(), post["body"], hashlib.sha256).hexdigest()
            assert post["headers"]["x-hub-signature-256"] == f"sha256={expected}"
            out.append(json.loads(post["body"]))
        return out

    def wa_statuses(self) -> list[str]:
        return [
            s["status"]
            for p in self.verified()
            for e in p["entry"]
            for c in e["changes"]
            for s in c["value"].get("statuses", [])
        ]


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


def looped(receiver: Receiver, **settings: Any) -> GraphApp:
    return make_graph(
        callbacks=CallbackSettings(
            to=receiver, secret=SECRET, path="/webhook/{channel}", **settings
        )
    )


@pytest.fixture
def client_for() -> Iterator[Any]:
    stack: list[Any] = []

    def open_client(graph: GraphApp) -> httpx.Client:
        router = graph_router(graph)
        router.__enter__()
        client = httpx.Client(base_url=GRAPH, headers=BEARER)
        stack.append((router, client))
        return client

    yield open_client
    for router, client in stack:
        client.close()
        router.__exit__(None, None, None)


def test_whatsapp_send_yields_signed_sent_delivered_read(
    receiver: Receiver, client_for: Any
) -> None:
    graph = looped(receiver)
    answer = client_for(graph).post(SEND, json=wa_text(to="33612345678")).json()
    graph.callbacks.wait()
    wamid = answer["messages"][0]["id"]
    payloads = receiver.verified()
    assert receiver.wa_statuses() == ["sent", "delivered", "read"]
    assert {p["path"] for p in receiver.posts} == {"/webhook/wa"}
    for payload in payloads:
        schemas.validate("whatsapp/webhook", payload)
        value = payload["entry"][0]["changes"][0]["value"]
        assert value["metadata"]["phone_number_id"] == WA
        status = value["statuses"][0]
        assert (status["id"], status["recipient_id"]) == (wamid, "33612345678")
    sent = payloads[0]["entry"][0]["changes"][0]["value"]["statuses"][0]
    assert sent["pricing"]["pricing_model"] == "PMP"
    assert [w.record.ok for w in graph.callbacks.sent] == [True, True, True]


def test_body_bytes_are_meta_escaped(receiver: Receiver, client_for: Any) -> None:
    graph = looped(receiver)
    graph.faults.failed_status(131026, times=1)
    client_for(graph).post(SEND, json=wa_text())
    graph.callbacks.wait()
    body = receiver.posts[0]["body"]
    assert b"https:\\/\\/developers.facebook.com" in body  # the error href, escaped as Meta does
    assert body.isascii()


def test_skip_delivered(receiver: Receiver, client_for: Any) -> None:
    graph = looped(receiver, skip_delivered=True)
    client_for(graph).post(SEND, json=wa_text())
    graph.callbacks.wait()
    assert receiver.wa_statuses() == ["sent", "read"]


def test_out_of_order(receiver: Receiver, client_for: Any) -> None:
    graph = looped(receiver, out_of_order=True)
    client_for(graph).post(SEND, json=wa_text())
    graph.callbacks.wait()
    assert receiver.wa_statuses() == ["read", "delivered", "sent"]


def test_duplicates(receiver: Receiver, client_for: Any) -> None:
    graph = looped(receiver, duplicates=1)
    client_for(graph).post(SEND, json=wa_text())
    graph.callbacks.wait()
    assert receiver.wa_statuses() == ["sent", "sent", "delivered", "delivered", "read", "read"]
    assert receiver.posts[0]["body"] == receiver.posts[1]["body"]


def test_batch_puts_the_statuses_in_one_webhook(receiver: Receiver, client_for: Any) -> None:
    graph = looped(receiver, batch=True)
    client_for(graph).post(SEND, json=wa_text())
    graph.callbacks.wait()
    assert len(receiver.posts) == 1
    schemas.validate("whatsapp/webhook", receiver.verified()[0])
    assert receiver.wa_statuses() == ["sent", "delivered", "read"]


def test_delay_in_simulated_seconds(receiver: Receiver, client_for: Any) -> None:
    graph = looped(receiver, delay=30.0)
    graph.clock.set_speed(1000.0)
    client_for(graph).post(SEND, json=wa_text())
    graph.callbacks.wait()
    stamps = [
        int(p["entry"][0]["changes"][0]["value"]["statuses"][0]["timestamp"])
        for p in receiver.verified()
    ]
    assert stamps[1] - stamps[0] >= 29 and stamps[2] - stamps[1] >= 29


def test_failed_status_fault_accepts_then_reports_failed(
    receiver: Receiver, client_for: Any
) -> None:
    graph = looped(receiver)
    graph.faults.failed_status(131049, times=1)
    assert client_for(graph).post(SEND, json=wa_text()).status_code == 200
    graph.callbacks.wait()
    assert receiver.wa_statuses() == ["failed"]
    payload = receiver.verified()[0]
    schemas.validate("whatsapp/webhook", payload)
    error = payload["entry"][0]["changes"][0]["value"]["statuses"][0]["errors"][0]
    assert error["code"] == 131049


def test_mark_as_read_and_refused_sends_produce_no_webhook(
    receiver: Receiver, client_for: Any
) -> None:
    graph = looped(receiver)
    client = client_for(graph)
    client.post(
        SEND, json={"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.x"}
    )
    client.post(SEND, json={"messaging_product": "whatsapp"})
    graph.faults.error(131026, times=1)
    client.post(SEND, json=wa_text())
    graph.callbacks.wait()
    assert receiver.posts == []


def test_messenger_gets_delivery_then_read(receiver: Receiver, client_for: Any) -> None:
    graph = looped(receiver)
    answer = client_for(graph).post("/v25.0/me/messages", json=page_text()).json()
    graph.callbacks.wait()
    payloads = receiver.verified()
    assert {p["path"] for p in receiver.posts} == {"/webhook/msg"}
    events = [p["entry"][0]["messaging"][0] for p in payloads]
    assert "delivery" in events[0] and "read" in events[1]
    assert events[0]["delivery"]["mids"] == [answer["message_id"]]
    assert events[0]["recipient"]["id"] == PAGE
    for payload in payloads:
        schemas.validate("messenger/webhook", payload)


def test_instagram_gets_its_echo_then_read(receiver: Receiver, client_for: Any) -> None:
    # Instagram echoes every send on the messages field: sender = the account, is_echo true,
    # the mid of the send, its text; then messaging_seen names the mid
    graph = looped(receiver)
    sent = page_text("17841412345678901")
    answer = client_for(graph).post(f"/v25.0/{IG}/messages", json=sent).json()
    graph.callbacks.wait()
    payloads = receiver.verified()
    assert len(payloads) == 2
    for payload in payloads:
        schemas.validate("instagram/webhook", payload)
    echo, read = (p["entry"][0]["messaging"][0] for p in payloads)
    assert echo["message"]["is_echo"] is True
    assert echo["message"]["mid"] == answer["message_id"]
    assert echo["message"]["text"] == sent["message"]["text"]
    assert (echo["sender"]["id"], echo["recipient"]["id"]) == (IG, "17841412345678901")
    assert read["read"]["mid"] == answer["message_id"]
    assert {p["path"] for p in receiver.posts} == {"/webhook/ig"}


def test_instagram_echo_can_be_switched_off(receiver: Receiver, client_for: Any) -> None:
    graph = looped(receiver, instagram_echoes=False)
    client_for(graph).post(f"/v25.0/{IG}/messages", json=page_text("17841412345678901"))
    graph.callbacks.wait()
    assert ["read" in p["entry"][0]["messaging"][0] for p in receiver.verified()] == [True]


def test_messenger_echo_only_when_subscribed(receiver: Receiver, client_for: Any) -> None:
    graph = looped(receiver, messenger_echoes=True)
    answer = client_for(graph).post(f"/v25.0/{PAGE}/messages", json=page_text()).json()
    graph.callbacks.wait()
    events = [p["entry"][0]["messaging"][0] for p in receiver.verified()]
    assert [next(k for k in ("message", "delivery", "read") if k in e) for e in events] == [
        "message",
        "delivery",
        "read",
    ]
    echo = events[0]["message"]
    assert echo["is_echo"] is True and isinstance(echo["app_id"], int)
    assert echo["mid"] == answer["message_id"]
    assert events[0]["sender"]["id"] == PAGE


def test_no_destination_means_no_webhooks(client_for: Any) -> None:
    graph = make_graph()
    client_for(graph).post(SEND, json=wa_text())
    assert graph.callbacks.pending == 0 and graph.callbacks.sent == []


def test_a_lost_answer_still_sends_the_status_webhooks(receiver: Receiver, client_for: Any) -> None:
    # Meta accepted the send; only its answer was lost: the statuses come as usual
    graph = looped(receiver)
    graph.faults.lost_answer(times=1)
    with pytest.raises(httpx.ReadError):
        client_for(graph).post(SEND, json=wa_text(to="33612345678"))
    graph.callbacks.wait()
    wamid = graph.recorder.last.response["messages"][0]["id"]
    assert receiver.wa_statuses() == ["sent", "delivered", "read"]
    ids = {p["entry"][0]["changes"][0]["value"]["statuses"][0]["id"] for p in receiver.verified()}
    assert ids == {wamid}


def test_whatsapp_statuses_echo_biz_opaque_callback_data_and_name_the_user_twice(
    receiver: Receiver, client_for: Any
) -> None:
    # statuses echo the send's biz_opaque_callback_data, and carry contacts[{wa_id, user_id}]
    graph = looped(receiver)
    client_for(graph).post(SEND, json={**wa_text(), "biz_opaque_callback_data": "order-42"})
    graph.callbacks.wait()
    values = [p["entry"][0]["changes"][0]["value"] for p in receiver.verified()]
    assert values and all(
        v["statuses"][0]["biz_opaque_callback_data"] == "order-42" for v in values
    )
    assert {(c["wa_id"], c["user_id"][:3]) for v in values for c in v["contacts"]} == {
        ("33612345678", "FR.")
    }
