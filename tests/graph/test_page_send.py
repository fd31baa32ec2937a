"""Messenger and Instagram POST /{v}/me/messages and /{v}/{page_or_ig_id}/messages."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from metasim.simulator import schemas
from metasim.simulator.graph import DEFAULT_TOKEN, GraphApp, graph_router

from .conftest import BEARER, GRAPH, IG, PAGE, error_of, make_graph, page_text

PSID = "1254477777772919"
VALID: dict[str, dict[str, Any]] = {
    "text": page_text(),
    "update": {
        "recipient": {"id": PSID},
        "messaging_type": "UPDATE",
        "message": {"text": "Votre commande est prête"},
    },
    "tagged": {
        "recipient": {"id": PSID},
        "messaging_type": "MESSAGE_TAG",
        "tag": "HUMAN_AGENT",
        "message": {"text": "Un conseiller vous répond"},
    },
    "attachment": {
        "recipient": {"id": PSID},
        "messaging_type": "RESPONSE",
        "message": {
            "attachment": {
                "type": "image",
                "payload": {"url": "https://cdn.example.com/a.jpg", "is_reusable": True},
            }
        },
    },
    "quick_replies": {
        "recipient": {"id": PSID},
        "messaging_type": "RESPONSE",
        "message": {
            "text": "Votre choix ?",
            "quick_replies": [
                {"content_type": "text", "title": "Oui", "payload": "YES"},
                {"content_type": "user_email"},
            ],
        },
    },
    "no_messaging_type_instagram_style": {"recipient": {"id": PSID}, "message": {"text": "Salut"}},
}


@pytest.mark.parametrize("name", sorted(VALID))
@pytest.mark.parametrize("path", ["/v25.0/me/messages", f"/v25.0/{PAGE}/messages"])
def test_messenger_send_answers_recipient_and_message_id(
    api: httpx.Client, graph: GraphApp, name: str, path: str
) -> None:
    response = api.post(path, json=VALID[name])
    assert response.status_code == 200, response.text
    answer = response.json()
    schemas.validate("graph/msgr-send-response", answer)
    assert answer["recipient_id"] == PSID
    assert answer["message_id"].startswith("m_")
    assert graph.recorder.last.channel == "msg"
    assert graph.recorder.last.tenant == PAGE


def test_access_token_query_parameter_is_accepted(api: httpx.Client) -> None:
    response = api.post(
        f"/v25.0/me/messages?access_token={DEFAULT_TOKEN}",
        json=page_text(),
        headers={"Authorization": ""},
    )
    assert response.status_code == 200


def test_sender_action_answers_recipient_id_only(api: httpx.Client, graph: GraphApp) -> None:
    response = api.post(
        "/v25.0/me/messages", json={"recipient": {"id": PSID}, "sender_action": "typing_on"}
    )
    assert response.json() == {"recipient_id": PSID}
    schemas.validate("graph/msgr-send-response", response.json())
    assert (graph.recorder.last.kind, graph.recorder.last.type) == ("sender_action", "typing_on")


def test_instagram_send_on_graph_facebook_com_with_ig_id(
    api: httpx.Client, graph: GraphApp
) -> None:
    response = api.post(f"/v25.0/{IG}/messages", json=page_text("17841412345678901"))
    assert response.status_code == 200
    assert graph.recorder.last.channel == "ig"


def test_instagram_login_host_picks_the_instagram_account(
    api: httpx.Client, graph: GraphApp
) -> None:
    response = api.post(
        "https://graph.instagram.com/v25.0/me/messages", json=page_text("17841412345678901")
    )
    assert response.status_code == 200, response.text
    assert (graph.recorder.last.channel, graph.recorder.last.tenant) == ("ig", IG)
    assert graph.recorder.last.host == "graph.instagram.com"


def test_instagram_host_refuses_a_page_only_token(api: httpx.Client, graph: GraphApp) -> None:
    graph.tokens.add(PAGE, "EAAGpageOnlyToken", "msg")
    response = api.post(
        "https://graph.instagram.com/v25.0/me/messages",
        json=page_text(),
        headers={"Authorization": "Bearer EAAGpageOnlyToken"},
    )
    assert response.status_code == 400  # a bad token is HTTP 400 on Messenger / Instagram
    assert error_of(response)["code"] == 190


INVALID = {
    "no_recipient": ({"messaging_type": "RESPONSE", "message": {"text": "x"}}, "recipient"),
    "empty_recipient": ({"recipient": {}, "message": {"text": "x"}}, "recipient['id']"),
    "message_and_action": ({**page_text(), "sender_action": "typing_on"}, "sender_action"),
    "neither_message_nor_action": ({"recipient": {"id": PSID}}, "message"),
    "tag_missing": ({**page_text(), "messaging_type": "MESSAGE_TAG"}, "tag"),
    "bad_messaging_type": ({**page_text(), "messaging_type": "PROMO"}, "messaging_type"),
    "unknown_key": ({**page_text(), "priority": "high"}, '"priority"'),
    "text_too_long": (page_text(text="a" * 2001), "message['text']"),
    "quick_reply_without_title": (
        {
            "recipient": {"id": PSID},
            "message": {"text": "?", "quick_replies": [{"content_type": "text", "payload": "P"}]},
        },
        "message['quick_replies'][0]['title']",
    ),
    "attachment_bad_type": (
        {
            "recipient": {"id": PSID},
            "message": {"attachment": {"type": "gif", "payload": {"url": "https://e.com/a.gif"}}},
        },
        "message['attachment']['type']",
    ),
}


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_page_send_answers_error_100_naming_the_field(api: httpx.Client, name: str) -> None:
    body, field = INVALID[name]
    response = api.post("/v25.0/me/messages", json=body)
    assert response.status_code == 400
    error = error_of(response)
    schemas.validate("graph/error", {"error": error})
    assert error["code"] == 100
    assert field in error["message"], error["message"]
    assert "error_data" not in error  # WhatsApp-only block


def test_instagram_text_over_1000_bytes_is_refused(api: httpx.Client) -> None:
    # Instagram text: "UTF-8, max 1,000 bytes" (third-party reading; Messenger allows 2000
    # characters): 600 "é" are 600 characters but 1200 bytes
    ok = api.post(f"/v25.0/{IG}/messages", json=page_text(text="é" * 500))
    assert ok.status_code == 200
    refused = api.post(f"/v25.0/{IG}/messages", json=page_text(text="é" * 600))
    assert refused.status_code == 400
    assert error_of(refused)["code"] == 100
    assert "1000 bytes" in str(error_of(refused)["message"])
    assert api.post(f"/v25.0/{PAGE}/messages", json=page_text(text="é" * 600)).status_code == 200


def test_instagram_text_limit_has_a_2000_character_reading() -> None:
    graph = make_graph(instagram_text_limit="2000-chars")
    with graph_router(graph), httpx.Client(base_url=GRAPH, headers=BEARER) as client:
        assert (
            client.post(f"/v25.0/{IG}/messages", json=page_text(text="é" * 600)).status_code == 200
        )


def test_quick_reply_title_over_20_characters_is_accepted(api: httpx.Client) -> None:
    # Meta: the title "will be truncated if more than 20 characters", not refused
    body = page_text()
    body["message"]["quick_replies"] = [
        {"content_type": "text", "title": "Un titre de plus de vingt caractères", "payload": "P"}
    ]
    assert api.post("/v25.0/me/messages", json=body).status_code == 200


def test_a_page_messaging_itself_finds_no_such_user(api: httpx.Client, graph: GraphApp) -> None:
    # a gateway answering its own echo addresses the Page itself: Meta finds no matching user
    # (code 100, subcode 2018001), so no echo or receipt comes back to feed a loop
    response = api.post(f"/v25.0/{PAGE}/messages", json=page_text(psid=PAGE))
    assert response.status_code == 400, response.text
    error = error_of(response)
    assert (error["code"], error.get("error_subcode")) == (100, 2018001)
    assert graph.callbacks.pending == 0
