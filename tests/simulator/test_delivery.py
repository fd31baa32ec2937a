"""Delivery as Meta against an in-process gateway double: retries, timeouts, redelivery, disorder."""

from __future__ import annotations

import asyncio
import itertools
import json

import pytest

from metasim.simulator.delivery import DEFAULT_TIMEOUTS, Deliverer, RetryPolicy, SyncDeliverer
from metasim.simulator.signing_defects import DEFECTS
from tests.cli.fake_gateway import SECRET, make_app

FAST = RetryPolicy(compression=1e9)  # the whole Meta schedule in microseconds


def message(
    text: str = "Bonjour, où est ma commande ? 📦 https://example.com/suivi", mid: str = "m_1"
) -> dict:
    """A Messenger text webhook written out by hand."""
    return {
        "object": "page",
        "entry": [
            {
                "id": "112233445566778",
                "time": 1764000000000,
                "messaging": [
                    {
                        "sender": {"id": "1254477777772919"},
                        "recipient": {"id": "112233445566778"},
                        "timestamp": 1764000000000,
                        "message": {"mid": mid, "text": text},
                    }
                ],
            }
        ],
    }


@pytest.fixture
def app():
    return make_app()


@pytest.fixture
def deliverer(app):
    with SyncDeliverer(app, SECRET, retry=FAST) as d:
        yield d


def test_valid_delivery_is_accepted_with_meta_headers(deliverer, app):
    record = deliverer.deliver(message(), path="/webhook/msg")
    assert record.ok and record.statuses == [200]
    assert record.headers["Content-Type"] == "application/json"
    path, body, headers = app.state.received[0]
    assert path == "/webhook/msg" and body == record.body
    assert headers["content-type"] == "application/json"
    assert headers["x-hub-signature-256"].startswith("sha256=")
    assert body.isascii() and b"\\/" in body and b"\\ud83d\\udce6" in body
    assert record.final.body_excerpt == "EVENT_RECEIVED"


def test_non_200_is_retried_immediately_then_less_and_less_often(app):
    waits: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)

    async def run():
        async with Deliverer(
            app, SECRET, retry=RetryPolicy(compression=100.0), sleep=fake_sleep
        ) as d:
            return await d.deliver(message(), path="/flaky/4")

    record = asyncio.run(run())
    assert record.statuses == [503, 503, 503, 503, 200] and record.ok
    assert waits[0] == 0.0  # "retry immediately"
    assert all(later > earlier for earlier, later in itertools.pairwise(waits))
    assert waits[1] == pytest.approx(30 / 100.0)  # Meta's 30 s compressed 100x


def test_retries_stop_after_the_schedule_and_the_delivery_fails(deliverer):
    record = deliverer.deliver(
        message(), path="/fail/500", retry=RetryPolicy(compression=1e9, max_retries=3)
    )
    assert record.statuses == [500, 500, 500, 500]
    assert record.outcome == "failed" and not record.ok
    assert record.final.body_excerpt == "upstream down"


def test_only_http_200_counts_as_delivered(deliverer):
    record = deliverer.deliver(message(), path="/fail/204", retry=RetryPolicy.none())
    assert record.statuses == [204] and record.outcome == "failed"


def test_a_slow_answer_times_out_and_is_retried(app):
    with SyncDeliverer(
        app, SECRET, timeouts={"msg": 0.2}, retry=RetryPolicy(compression=1e9, max_retries=1)
    ) as d:
        record = d.deliver(message(), path="/slow/3")
    assert record.statuses == [None, None] and not record.ok
    assert "timeout after 0.2 s" in (record.final.error or "")
    assert record.final.latency_s < 1.5


def test_messenger_and_instagram_get_five_seconds_whatsapp_is_configurable():
    assert DEFAULT_TIMEOUTS["msg"] == 5.0 and DEFAULT_TIMEOUTS["ig"] == 5.0
    d = Deliverer("http://127.0.0.1:9", "s", timeouts={"wa": 2.5})
    assert d.timeouts["wa"] == 2.5 and d.timeouts["msg"] == 5.0
    asyncio.run(d.aclose())


@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_every_signing_defect_is_refused_by_a_raw_bytes_verifier(deliverer, app, defect):
    record = deliverer.deliver(
        message(), path="/webhook/msg", defect=defect, retry=RetryPolicy.none()
    )
    assert record.statuses == [403], defect
    assert app.state.received == []


def test_redelivery_of_the_same_bytes(deliverer, app):
    first = deliverer.deliver(message(), path="/webhook/msg")
    again = deliverer.redeliver(first, "same")
    assert again.ok and again.body == first.body and again.headers == first.headers
    assert again.redelivery_of is first
    assert [body for _, body, _ in app.state.received] == [first.body, first.body]


def test_redelivery_reserialised_differs_in_bytes_not_in_value(deliverer, app):
    first = deliverer.deliver(message(), path="/webhook/msg", legacy_sha1=True)
    again = deliverer.redeliver(first, "reserialised")
    assert again.ok  # the gateway verified the new signature over the new bytes
    assert again.body != first.body and json.loads(again.body) == json.loads(first.body)
    assert again.headers["X-Hub-Signature-256"] != first.headers["X-Hub-Signature-256"]
    assert again.body.isascii() and b"\\/" in again.body
    assert "X-Hub-Signature" in again.headers
    with pytest.raises(ValueError, match=r"same.*reserialised"):
        deliverer.redeliver(first, "twice")


def _mids(app) -> list[str]:
    return [
        json.loads(body)["entry"][0]["messaging"][0]["message"]["mid"]
        for _, body, _ in app.state.received
    ]


def test_a_sequence_can_arrive_shuffled_reversed_or_in_an_explicit_order(deliverer, app):
    payloads = [message(text=f"message {i}", mid=f"m_{i}") for i in range(6)]
    shuffled = deliverer.deliver_sequence(payloads, path="/webhook/msg", order="shuffle", seed=3)
    order = [r.sequence_index for r in shuffled]
    assert sorted(order) == list(range(6)) and order != list(range(6))
    assert _mids(app) == [f"m_{i}" for i in order]
    again = deliverer.deliver_sequence(payloads, path="/webhook/msg", order="shuffle", seed=3)
    assert [r.sequence_index for r in again] == order  # seeded: reproducible
    app.state.received.clear()
    deliverer.deliver_sequence(payloads[:3], path="/webhook/msg", order=[2, 0, 1])
    assert _mids(app) == ["m_2", "m_0", "m_1"]
    app.state.received.clear()
    deliverer.deliver_sequence(payloads[:3], path="/webhook/msg", order="reverse")
    assert _mids(app) == ["m_2", "m_1", "m_0"]
    with pytest.raises(ValueError, match="permutation"):
        deliverer.deliver_sequence(payloads[:3], path="/webhook/msg", order=[0, 0, 1])


def test_handshake_variants_against_a_correct_gateway(deliverer):
    results = {r.variant: r for r in deliverer.handshake_all("/webhook/wa", "verify-me-2026")}
    assert set(results) == {"valid", "wrong_token", "missing_token", "missing_mode", "other_mode"}
    assert all(r.ok for r in results.values()), [r.describe() for r in results.values()]
    assert (
        results["valid"].status == 200 and results["valid"].body == results["valid"].expected_body
    )
    assert results["other_mode"].status == 403


def test_handshake_spots_a_gateway_that_ignores_hub_mode(deliverer):
    results = {r.variant: r for r in deliverer.handshake_all("/sloppy", "verify-me-2026")}
    assert results["valid"].ok and results["wrong_token"].ok
    assert not results["missing_mode"].ok and not results["other_mode"].ok
    assert "Meta requires 403" in results["other_mode"].describe()


def test_unreachable_url_is_a_failed_attempt_not_an_exception():
    from metasim.simulator.net import free_port

    with SyncDeliverer(f"http://127.0.0.1:{free_port()}", SECRET, retry=RetryPolicy.none()) as d:
        record = d.deliver(message(), path="/webhook/msg")
    assert record.statuses == [None] and record.outcome == "failed"
    assert "Connect" in (record.final.error or "")


def test_bytes_are_sent_exactly_as_given(deliverer, app):
    body = b'{"object":"page","entry":[]}'
    record = deliverer.deliver(body, path="/webhook/msg")
    assert record.ok and app.state.received[0][1] == body


def test_channel_is_required_when_the_object_is_unknown(deliverer):
    with pytest.raises(ValueError, match="cannot tell the channel"):
        deliverer.deliver({"object": "user", "entry": []}, path="/webhook/msg")


def test_deliver_sync_is_a_one_call_convenience(app):
    from metasim.simulator.delivery import deliver_sync

    record = deliver_sync(app, SECRET, message(), path="/webhook/msg", retry=RetryPolicy.none())
    assert record.ok and len(app.state.received) == 1
