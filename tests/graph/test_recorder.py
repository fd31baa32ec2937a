"""Recording (order, masking, filters) and expectation mode (unexpected and unmet calls fail)."""

from __future__ import annotations

import httpx
import pytest

from metasim.simulator.graph import DEFAULT_TOKEN, GraphApp

from .conftest import PAGE, SEND, WA, page_text, wa_text


def test_every_call_is_recorded_in_order_with_its_answer(
    api: httpx.Client, graph: GraphApp
) -> None:
    ok = api.post(SEND, json=wa_text(to="33611111111"))
    api.post(SEND, json={"messaging_product": "whatsapp"})
    api.post("/v25.0/me/messages", json=page_text())
    api.get("/v25.0/nowhere/at/all")
    calls = graph.recorder.calls()
    assert [c.seq for c in calls] == [1, 2, 3, 4]
    first = calls[0]
    assert (first.method, first.path, first.host) == ("POST", SEND, "graph.facebook.com")
    assert (first.channel, first.tenant, first.kind, first.type) == ("wa", WA, "send", "text")
    assert first.recipient == "33611111111"
    assert first.body == wa_text(to="33611111111")
    assert (first.status, first.response) == (200, ok.json())
    assert calls[1].status == 400
    assert (calls[2].channel, calls[2].tenant) == ("msg", PAGE)
    assert (calls[3].kind, calls[3].status) == ("unknown", 404)
    assert first.time > 0


def test_secrets_are_masked_in_records(api: httpx.Client, graph: GraphApp) -> None:
    api.post(SEND, json=wa_text())
    api.post(
        f"/v25.0/me/messages?access_token={DEFAULT_TOKEN}",
        json=page_text(),
        headers={"Authorization": ""},
    )
    dumped = str([c.to_dict() for c in graph.recorder.calls()])
    assert DEFAULT_TOKEN not in dumped
    assert graph.recorder.calls()[0].headers["authorization"].startswith("Bearer EAAG...")
    assert graph.recorder.last.query["access_token"].startswith("EAAG...")


def test_filters_last_count_and_reset(api: httpx.Client, graph: GraphApp) -> None:
    api.post(SEND, json=wa_text(to="33611111111"))
    api.post(SEND, json=wa_text(to="33622222222"))
    api.post("/v25.0/me/messages", json=page_text())
    assert graph.recorder.count(channel="wa") == 2
    assert graph.recorder.count(recipient="33622222222") == 1
    assert graph.recorder.count(type="text", channel="msg") == 1
    assert graph.recorder.count(body={"text": {"body": "Bonjour, votre colis arrive demain."}}) == 2
    assert graph.recorder.last.channel == "msg"
    assert len(graph.recorder) == 3
    graph.recorder.reset()
    assert len(graph.recorder) == 0
    with pytest.raises(AssertionError, match="no call"):
        _ = graph.recorder.last


def test_unknown_filter_is_refused(graph: GraphApp) -> None:
    with pytest.raises(ValueError, match="allowed: channel"):
        graph.recorder.calls(colour="red")


def test_expectation_mode_passes_when_calls_match_exactly(
    api: httpx.Client, graph: GraphApp
) -> None:
    with graph.recorder.expect() as exp:
        exp.call(channel="wa", recipient="33611111111", type="text")
        exp.call(channel="msg", times=2)
        assert api.post(SEND, json=wa_text(to="33611111111")).status_code == 200
        api.post("/v25.0/me/messages", json=page_text())
        api.post("/v25.0/me/messages", json=page_text())
    assert graph.recorder.expectations is None


def test_unexpected_call_is_refused_and_fails_on_exit(api: httpx.Client, graph: GraphApp) -> None:
    with pytest.raises(AssertionError, match="unexpected call #2"), graph.recorder.expect() as exp:
        exp.call(recipient="33611111111")
        api.post(SEND, json=wa_text(to="33611111111"))
        response = api.post(SEND, json=wa_text(to="33699999999"))
        assert response.status_code == 500
        assert "unexpected call" in response.json()["error"]["message"]
    assert graph.recorder.last.unexpected


def test_expected_call_never_made_fails(graph: GraphApp) -> None:
    exp = graph.recorder.expect()
    exp.call(channel="wa", type="template")
    with pytest.raises(AssertionError, match="expected call never made"):
        exp.assert_all_called()


def test_a_call_beyond_the_expected_times_is_unexpected(api: httpx.Client, graph: GraphApp) -> None:
    exp = graph.recorder.expect()
    exp.call(channel="wa", times=1)
    assert api.post(SEND, json=wa_text()).status_code == 200
    assert api.post(SEND, json=wa_text()).status_code == 500
    assert len(exp.problems()) == 1
