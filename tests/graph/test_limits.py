"""Limits over simulated time: throughput 130429, pair rate 131056, page rate, 24-hour window."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from metasim.simulator.graph import CallbackSettings, GraphApp, graph_router

from .conftest import BEARER, GRAPH, PAGE, SEND, WA, error_of, make_graph, page_text, wa_text

TEMPLATE = {
    "messaging_product": "whatsapp",
    "to": "33612345678",
    "type": "template",
    "template": {"name": "order_update", "language": {"code": "fr"}},
}


@pytest.fixture
def frozen() -> GraphApp:
    """A fake whose clock stands still: only advance() moves it."""
    graph = make_graph(clock_start=1_800_000_000.0, clock_speed=0.0)
    return graph


@pytest.fixture
def client(frozen: GraphApp) -> Iterator[httpx.Client]:
    with graph_router(frozen), httpx.Client(base_url=GRAPH, headers=BEARER) as c:
        yield c


def _codes(client: httpx.Client, n: int, path: str = SEND, **body: Any) -> list[int | None]:
    out: list[int | None] = []
    for i in range(n):
        payload = body.get("payload") or wa_text(to=f"336{i:08d}")
        answer = client.post(path, json=payload)
        out.append(None if answer.status_code == 200 else error_of(answer)["code"])
    return out


def test_limits_are_off_by_default(client: httpx.Client) -> None:
    assert _codes(client, 120) == [None] * 120
    assert client.post(SEND, json=wa_text(to="33655555555")).status_code == 200


def test_throughput_80_per_second_then_130429(frozen: GraphApp, client: httpx.Client) -> None:
    frozen.limits.enable("throughput")
    codes = _codes(client, 81)
    assert codes[:80] == [None] * 80
    assert codes[80] == 130429
    frozen.clock.advance(1.0)
    assert _codes(client, 1) == [None]


def test_throughput_for_an_upgraded_number_is_1000(frozen: GraphApp, client: httpx.Client) -> None:
    frozen.limits.enable("throughput")
    frozen.limits.settings.wa_mps_by_number[WA] = 1000
    codes = _codes(client, 1001)
    assert codes.count(None) == 1000
    assert codes[-1] == 130429


def test_throughput_429_reading() -> None:
    graph = make_graph(clock_speed=0.0, rate_limit_status=429, limits=("throughput",))
    with graph_router(graph), httpx.Client(base_url=GRAPH, headers=BEARER) as c:
        statuses = [c.post(SEND, json=wa_text(to=f"336{i:08d}")).status_code for i in range(81)]
    assert statuses[-1] == 429


def test_pair_rate_burst_of_45_then_one_per_6_seconds(
    frozen: GraphApp, client: httpx.Client
) -> None:
    frozen.limits.enable("pair_rate")
    same = wa_text(to="33612345678")
    codes = _codes(client, 46, payload=same)
    assert codes[:45] == [None] * 45
    assert codes[45] == 131056
    # another recipient is not affected
    assert client.post(SEND, json=wa_text(to="33700000000")).status_code == 200
    frozen.clock.advance(6.0)
    assert _codes(client, 2, payload=same) == [None, 131056]


def test_pair_rate_answer_has_no_retry_after_by_default(
    frozen: GraphApp, client: httpx.Client
) -> None:
    frozen.limits.enable("pair_rate")
    frozen.limits.settings.pair_burst = 1
    client.post(SEND, json=wa_text())
    answer = client.post(SEND, json=wa_text())
    assert answer.status_code == 400
    assert "retry-after" not in answer.headers
    assert "is_transient" not in error_of(answer)


def test_pair_rate_answer_has_retry_after_when_asked(
    frozen: GraphApp, client: httpx.Client
) -> None:
    frozen.config.retry_after_header = True
    frozen.config.is_transient_field = True
    frozen.limits.enable("pair_rate")
    frozen.limits.settings.pair_burst = 1
    client.post(SEND, json=wa_text())
    answer = client.post(SEND, json=wa_text())
    assert answer.status_code == 400
    assert answer.headers["retry-after"] == "6"
    assert error_of(answer)["is_transient"] is True


def test_page_rate_300_calls_per_second(frozen: GraphApp, client: httpx.Client) -> None:
    frozen.limits.enable("page_rate")
    codes = _codes(client, 301, path="/v25.0/me/messages", payload=page_text())
    assert codes[:300] == [None] * 300
    assert codes[300] == 613
    frozen.limits.settings.page_rate_code = 32
    assert _codes(client, 1, path="/v25.0/me/messages", payload=page_text()) == [32]
    frozen.clock.advance(1.0)
    assert _codes(client, 1, path="/v25.0/me/messages", payload=page_text()) == [None]


def test_window_refuses_free_form_to_a_silent_user_but_passes_templates(
    frozen: GraphApp, client: httpx.Client
) -> None:
    frozen.config.async_failures = False  # the synchronous reading
    frozen.limits.enable("window")
    refused = client.post(SEND, json=wa_text())
    assert refused.status_code == 400
    assert error_of(refused)["code"] == 131047
    assert client.post(SEND, json=TEMPLATE).status_code == 200


def test_window_opens_when_the_user_writes_and_closes_after_24_hours(
    frozen: GraphApp, client: httpx.Client
) -> None:
    frozen.config.async_failures = False
    frozen.limits.enable("window")
    frozen.note_inbound(WA, "33612345678")
    assert client.post(SEND, json=wa_text()).status_code == 200
    frozen.clock.advance(23 * 3600)
    assert client.post(SEND, json=wa_text()).status_code == 200
    frozen.clock.advance(3600)
    assert error_of(client.post(SEND, json=wa_text()))["code"] == 131047


def test_window_uses_the_inbound_time_given(frozen: GraphApp, client: httpx.Client) -> None:
    frozen.config.async_failures = False
    frozen.limits.enable("window")
    frozen.note_inbound(WA, "33612345678", at=frozen.clock.now() - 25 * 3600)
    assert error_of(client.post(SEND, json=wa_text()))["code"] == 131047


def test_messenger_window_needs_a_tag_outside_24_hours(
    frozen: GraphApp, client: httpx.Client
) -> None:
    frozen.limits.enable("window")
    refused = client.post("/v25.0/me/messages", json=page_text())
    assert (error_of(refused)["code"], error_of(refused)["error_subcode"]) == (10, 2018278)
    tagged = {**page_text(), "messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}
    assert client.post("/v25.0/me/messages", json=tagged).status_code == 200
    frozen.note_inbound(PAGE, "1254477777772919")
    assert client.post("/v25.0/me/messages", json=page_text()).status_code == 200


def test_compressed_clock_refills_limits_in_real_time() -> None:
    graph = make_graph(clock_speed=1000.0, limits=("pair_rate",))
    graph.limits.settings.pair_burst = 1
    with graph_router(graph), httpx.Client(base_url=GRAPH, headers=BEARER) as c:
        assert c.post(SEND, json=wa_text()).status_code == 200
        import time

        time.sleep(0.02)  # 20 simulated seconds at 1000x: more than the 6 s refill
        assert c.post(SEND, json=wa_text()).status_code == 200


def test_unknown_limit_name_is_refused(frozen: GraphApp) -> None:
    with pytest.raises(ValueError, match="throughput, pair_rate, page_rate, window"):
        frozen.limits.enable("speed")


def test_window_by_default_accepts_then_reports_131047_in_a_failed_status() -> None:
    # Meta usually answers 200 + wamid, then a `failed` status webhook carrying the error
    posts: list[bytes] = []

    async def receiver(scope: Any, receive: Any, send: Any) -> None:
        message = await receive()
        posts.append(message.get("body", b""))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    graph = make_graph(
        clock_start=1_800_000_000.0,
        clock_speed=0.0,
        callbacks=CallbackSettings(to=receiver, secret="s3cr3t"),
    )
    graph.limits.enable("window")
    with graph_router(graph), httpx.Client(base_url=GRAPH, headers=BEARER) as client:
        answer = client.post(SEND, json=wa_text())
    assert answer.status_code == 200
    wamid = answer.json()["messages"][0]["id"]
    graph.callbacks.wait()
    statuses = [
        s for p in posts for s in json.loads(p)["entry"][0]["changes"][0]["value"]["statuses"]
    ]
    assert [(s["id"], s["status"]) for s in statuses] == [(wamid, "failed")]
    assert statuses[0]["errors"][0]["code"] == 131047
