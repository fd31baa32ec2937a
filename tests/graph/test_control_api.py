"""The HTTP control API under /__metasim/: what a test in another process drives the fake with."""

from __future__ import annotations

import httpx
import pytest

from metasim.simulator.graph import GraphApp

from .conftest import WA, error_of, page_text, wa_text

C = "/__metasim"


def test_index_lists_the_routes(api: httpx.Client) -> None:
    routes = api.get(f"{C}/").json()["control_api"]
    assert any(key.startswith("GET|POST|DELETE /__metasim/faults") for key in routes)
    unknown = api.get(f"{C}/nope")
    assert unknown.status_code == 404
    assert "control_api" in unknown.json()


def test_calls_list_filter_and_reset(api: httpx.Client) -> None:
    api.post(f"/v25.0/{WA}/messages", json=wa_text(to="33611111111"))
    api.post("/v25.0/me/messages", json=page_text())
    listed = api.get(f"{C}/calls").json()
    assert listed["count"] == 2
    assert listed["calls"][0]["recipient"] == "33611111111"
    assert api.get(f"{C}/calls", params={"channel": "msg"}).json()["count"] == 1
    assert api.delete(f"{C}/calls").json() == {"reset": True}
    assert api.get(f"{C}/calls").json()["count"] == 0


def test_faults_add_list_remove_clear(api: httpx.Client) -> None:
    added = api.post(
        f"{C}/faults",
        json={"action": "error", "code": 130429, "times": 1, "match": {"recipient": "33611111111"}},
    )
    assert added.status_code == 201
    fault_id = added.json()["added"][0]["id"]
    assert api.get(f"{C}/faults").json()["faults"][0]["code"] == "130429"
    refused = api.post(f"/v25.0/{WA}/messages", json=wa_text(to="33611111111"))
    assert error_of(refused)["code"] == 130429
    assert api.post(f"/v25.0/{WA}/messages", json=wa_text(to="33611111111")).status_code == 200
    assert api.delete(f"{C}/faults/{fault_id}").json() == {"removed": fault_id}
    assert api.delete(f"{C}/faults/{fault_id}").status_code == 404
    api.post(
        f"{C}/faults",
        json=[{"action": "http", "status": 502}, {"action": "latency", "latency": [0, 0.01]}],
    )
    assert len(api.get(f"{C}/faults").json()["faults"]) == 2
    api.delete(f"{C}/faults")
    assert api.get(f"{C}/faults").json()["faults"] == []


def test_bad_fault_answers_400_with_the_reason(api: httpx.Client) -> None:
    answer = api.post(f"{C}/faults", json={"action": "error", "code": 42})
    assert answer.status_code == 400
    assert "no Graph error '42'" in answer.json()["error"]
    assert (
        api.post(
            f"{C}/faults", content=b"{", headers={"Content-Type": "application/json"}
        ).status_code
        == 400
    )


def test_tokens_register_expire_revoke(api: httpx.Client, graph: GraphApp) -> None:
    made = api.post(
        f"{C}/tokens",
        json={
            "tenant_id": "109876543210987",
            "channel": "wa",
            "token": "EAAGfromControl",
            "expires_in": 3600,
        },
    )
    assert made.status_code == 201
    assert made.json()["registered"]["token"].startswith("EAAG...")
    assert any(g["tenant_id"] == "109876543210987" for g in api.get(f"{C}/tokens").json()["tokens"])
    send = "/v25.0/109876543210987/messages"
    headers = {"Authorization": "Bearer EAAGfromControl"}
    assert api.post(send, json=wa_text(), headers=headers).status_code == 200
    api.post(f"{C}/tokens/EAAGfromControl/expire")
    assert error_of(api.post(send, json=wa_text(), headers=headers))["error_subcode"] == 463
    assert api.delete(f"{C}/tokens/EAAGfromControl").json() == {"revoked": True}
    bad = api.post(f"{C}/tokens", json={"tenant_id": "1", "channel": "sms", "token": "x"})
    assert bad.status_code == 400 and "wa, msg, ig" in bad.json()["error"]


def test_limits_clock_and_inbound(api: httpx.Client, graph: GraphApp) -> None:
    graph.config.async_failures = False  # 131047 as a synchronous answer
    shown = api.post(
        f"{C}/limits", json={"enable": ["window"], "settings": {"wa_mps": 1000}}
    ).json()
    assert shown["enabled"] == ["window"]
    assert shown["settings"]["wa_mps"] == 1000
    send = f"/v25.0/{WA}/messages"
    assert error_of(api.post(send, json=wa_text()))["code"] == 131047
    opened = api.post(f"{C}/inbound", json={"tenant": WA, "user": "33612345678"})
    assert opened.json() == {"window_open": True}
    assert api.post(send, json=wa_text()).status_code == 200
    clock = api.post(f"{C}/clock", json={"speed": 0, "advance": 86400}).json()
    assert clock["speed"] == 0
    assert error_of(api.post(send, json=wa_text()))["code"] == 131047
    assert api.post(f"{C}/limits", json={"disable": True}).json()["enabled"] == []
    assert api.post(send, json=wa_text()).status_code == 200
    assert api.post(f"{C}/limits", json={"settings": {"speed": 1}}).status_code == 400
    assert api.post(f"{C}/inbound", json={"tenant": WA}).status_code == 400


def test_callbacks_config_and_sent_log(api: httpx.Client, graph: GraphApp) -> None:
    shown = api.post(
        f"{C}/callbacks",
        json={
            "to": "http://127.0.0.1:9/webhook/{channel}",
            "secret": "s3cr3t",
            "skip_delivered": True,
            "statuses": ["sent", "read"],
        },
    ).json()
    assert shown["to"] == "http://127.0.0.1:9/webhook/{channel}"
    assert shown["secret_set"] is True and "secret" not in shown
    assert graph.callbacks.settings.statuses == ("sent", "read")
    assert api.post(f"{C}/callbacks", json={"colour": "red"}).status_code == 400
    assert api.get(f"{C}/callbacks/sent").json() == {"pending": 0, "sent": []}
    assert api.delete(f"{C}/callbacks/sent").json() == {"reset": True}


def test_expectations_over_http(api: httpx.Client) -> None:
    assert api.get(f"{C}/expectations").status_code == 404
    started = api.post(f"{C}/expectations", json=[{"channel": "wa", "type": "text"}])
    assert started.status_code == 201
    unmet = api.get(f"{C}/expectations")
    assert unmet.status_code == 409 and "never made" in unmet.json()["problems"][0]
    api.post(f"/v25.0/{WA}/messages", json=wa_text())
    assert api.get(f"{C}/expectations").json() == {"ok": True, "problems": []}
    assert api.post("/v25.0/me/messages", json=page_text()).status_code == 500
    assert api.get(f"{C}/expectations").status_code == 409
    assert api.delete(f"{C}/expectations").json() == {"stopped": True}
    assert api.post("/v25.0/me/messages", json=page_text()).status_code == 200


def test_media_listing_and_health(api: httpx.Client) -> None:
    api.post(
        f"/v25.0/{WA}/media",
        files={"file": ("a.ogg", b"OggS-voice", "audio/ogg")},
        data={"messaging_product": "whatsapp", "type": "audio/ogg"},
    )
    media = api.get(f"{C}/media").json()["media"]
    assert media[0]["mime_type"] == "audio/ogg" and media[0]["file_size"] == 10
    assert api.get(f"{C}/health").json()["ok"] is True


def test_control_calls_are_not_recorded(api: httpx.Client, graph: GraphApp) -> None:
    api.get(f"{C}/calls")
    assert len(graph.recorder) == 0


def test_lost_answer_is_set_over_http_like_the_other_faults(api: httpx.Client) -> None:
    added = api.post(
        f"{C}/faults",
        json={"action": "lost_answer", "lose_as": "reset", "times": 1, "match": {"kind": "send"}},
    )
    assert added.status_code == 201
    assert api.get(f"{C}/faults").json()["faults"][0]["action"] == "lost_answer"
    with pytest.raises(httpx.ReadError):
        api.post(f"/v25.0/{WA}/messages", json=wa_text(to="33622222222"))
    [call] = api.get(f"{C}/calls", params={"recipient": "33622222222"}).json()["calls"]
    assert call["status"] == 200 and call["response"]["messages"][0]["id"].startswith("wamid.")
    bad = api.post(f"{C}/faults", json={"action": "lost_answer", "lose_as": "vanish"})
    assert bad.status_code == 400 and "lose_as" in bad.json()["error"]
