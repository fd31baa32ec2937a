"""WhatsApp POST /{v}/{phone_number_id}/messages: every message kind, strictness, Meta's answers."""

from __future__ import annotations

import base64
import copy
from typing import Any

import httpx
import pytest

from metasim.simulator import schemas
from metasim.simulator.graph import graph_router

from .conftest import BEARER, GRAPH, SEND, error_of, make_graph, wa_text

WA = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": "33612345678"}
VALID: dict[str, dict[str, Any]] = {
    "text": wa_text(),
    "text_no_type": {
        "messaging_product": "whatsapp",
        "to": "33612345678",
        "text": {"body": "Salut"},
    },
    "text_preview_reply": {
        **WA,
        "type": "text",
        "context": {"message_id": "wamid.HBgLMzM2MTIzNDU2NzgVAgASGBQzQUI="},
        "text": {"preview_url": True, "body": "Voir https://example.com/suivi"},
    },
    "image_id": {**WA, "type": "image", "image": {"id": "1479537139650973", "caption": "Facture"}},
    "image_link": {**WA, "type": "image", "image": {"link": "https://cdn.example.com/a.jpg"}},
    "audio_voice": {**WA, "type": "audio", "audio": {"id": "1479537139650974", "voice": True}},
    "video": {**WA, "type": "video", "video": {"link": "https://cdn.example.com/v.mp4"}},
    "document": {
        **WA,
        "type": "document",
        "document": {
            "id": "1479537139650975",
            "filename": "facture-4512.pdf",
            "caption": "Votre facture",
        },
    },
    "sticker": {**WA, "type": "sticker", "sticker": {"id": "1479537139650976"}},
    "template": {
        **WA,
        "type": "template",
        "template": {
            "name": "order_shipped",
            "language": {"code": "fr"},
            "components": [
                {"type": "body", "parameters": [{"type": "text", "text": "4512"}]},
                {
                    "type": "button",
                    "sub_type": "url",
                    "index": "0",
                    "parameters": [{"type": "text", "text": "4512"}],
                },
            ],
        },
    },
    "interactive_button": {
        **WA,
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": "Confirmer le rendez-vous ?"},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": "yes", "title": "Oui"}},
                    {"type": "reply", "reply": {"id": "no", "title": "Non"}},
                ]
            },
        },
    },
    "interactive_list": {
        **WA,
        "type": "interactive",
        "interactive": {
            "type": "list",
            "body": {"text": "Choisissez un créneau"},
            "action": {
                "button": "Créneaux",
                "sections": [
                    {
                        "title": "Demain",
                        "rows": [{"id": "t9", "title": "9h", "description": "Matin"}],
                    },
                ],
            },
        },
    },
    "interactive_cta_url": {
        **WA,
        "type": "interactive",
        "interactive": {
            "type": "cta_url",
            "body": {"text": "Suivez votre colis"},
            "action": {
                "name": "cta_url",
                "parameters": {"display_text": "Suivre", "url": "https://example.com/suivi/4512"},
            },
        },
    },
    "interactive_flow": {
        **WA,
        "type": "interactive",
        "interactive": {
            "type": "flow",
            "body": {"text": "Réservez"},
            "action": {
                "name": "flow",
                "parameters": {
                    "flow_message_version": "3",
                    "flow_token": "tok-1",
                    "flow_id": "1234567890",
                    "flow_cta": "Réserver",
                    "flow_action": "navigate",
                },
            },
        },
    },
    "reaction": {
        **WA,
        "type": "reaction",
        "reaction": {"message_id": "wamid.HBgLMzM2MTIzNDU2NzgVAgASGBQzQUI=", "emoji": "👍"},
    },
    "location": {
        **WA,
        "type": "location",
        "location": {
            "latitude": 48.8566,
            "longitude": 2.3522,
            "name": "Boutique",
            "address": "1 rue de Rivoli",
        },
    },
    "contacts": {
        **WA,
        "type": "contacts",
        "contacts": [
            {
                "name": {"formatted_name": "Marie Curie", "first_name": "Marie"},
                "phones": [{"phone": "+33 6 12 34 56 78", "type": "CELL", "wa_id": "33612345678"}],
            }
        ],
    },
    "bsuid_recipient": {
        "messaging_product": "whatsapp",
        "recipient": "US.13491208655302741918",
        "type": "text",
        "text": {"body": "Bonjour"},
    },
}


@pytest.mark.parametrize("name", sorted(VALID))
def test_valid_send_is_accepted_with_a_schema_valid_answer(api: httpx.Client, name: str) -> None:
    response = api.post(SEND, json=VALID[name])
    assert response.status_code == 200, response.text
    answer = response.json()
    schemas.validate("graph/wa-send-response", answer)
    contact = answer["contacts"][0]
    if "to" in VALID[name]:
        assert contact == {"input": "33612345678", "wa_id": "33612345678"}
    else:
        assert contact["input"] == "US.13491208655302741918"
    assert answer["messages"][0]["id"].startswith("wamid.")


def test_wamid_encodes_the_recipient_like_meta_and_is_unique(api: httpx.Client) -> None:
    ids = {api.post(SEND, json=wa_text()).json()["messages"][0]["id"] for _ in range(50)}
    assert len(ids) == 50
    raw = base64.b64decode(next(iter(ids)).removeprefix("wamid."))
    assert raw.startswith(b"\x1c\x18\x0b33612345678\x15\x02\x00\x11\x18\x12")


def test_to_with_plus_and_spaces_answers_digits_as_wa_id(api: httpx.Client) -> None:
    answer = api.post(SEND, json=wa_text(to="+33 6 12 34 56 78")).json()
    assert answer["contacts"] == [{"input": "+33 6 12 34 56 78", "wa_id": "33612345678"}]


def test_template_answer_carries_message_status_accepted(api: httpx.Client) -> None:
    answer = api.post(SEND, json=VALID["template"]).json()
    assert answer["messages"][0]["message_status"] == "accepted"


def _without(body: dict[str, Any], *path: str) -> dict[str, Any]:
    out = copy.deepcopy(body)
    node = out
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return out


def _with(body: dict[str, Any], value: Any, *path: str) -> dict[str, Any]:
    out = copy.deepcopy(body)
    node = out
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return out


INVALID = {
    "missing_messaging_product": (_without(wa_text(), "messaging_product"), "messaging_product"),
    "wrong_messaging_product": (
        _with(wa_text(), "instagram", "messaging_product"),
        "messaging_product",
    ),
    "missing_to_and_recipient": (_without(wa_text(), "to"), "to"),
    "missing_text_body": (_without(wa_text(), "text", "body"), "text['body']"),
    "unknown_key_top": (_with(wa_text(), 1, "priority"), '"priority"'),
    "unknown_key_nested": (_with(wa_text(), "x", "text", "format"), '"format" on param text'),
    "body_too_long": (_with(wa_text(), "a" * 4097, "text", "body"), "text['body']"),
    "unknown_type": (_with(wa_text(), "carousel", "type"), "type"),
    "image_without_id_or_link": ({**WA, "type": "image", "image": {"caption": "x"}}, "image['id']"),
    "image_with_id_and_link": (
        {**WA, "type": "image", "image": {"id": "1", "link": "https://e.com/a.jpg"}},
        "image",
    ),
    "template_without_language": (
        {**WA, "type": "template", "template": {"name": "hello_world"}},
        "template['language']",
    ),
    "reaction_without_emoji": (
        {**WA, "type": "reaction", "reaction": {"message_id": "wamid.x"}},
        "reaction['emoji']",
    ),
    "location_without_longitude": (
        {**WA, "type": "location", "location": {"latitude": 1.0}},
        "location['longitude']",
    ),
    "to_not_a_phone": (_with(wa_text(), "marie", "to"), "to"),
}


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_send_answers_error_100_naming_the_field(api: httpx.Client, name: str) -> None:
    body, field = INVALID[name]
    response = api.post(SEND, json=body)
    assert response.status_code == 400
    error = error_of(response)
    schemas.validate("graph/error", {"error": error})
    assert error["code"] == 100
    assert error["type"] == "OAuthException"
    assert error["message"].startswith("(#100) ")
    assert field in error["message"], error["message"]
    assert error["error_data"]["messaging_product"] == "whatsapp"
    assert field in error["error_data"]["details"]


def test_body_that_is_not_json_answers_error_100(api: httpx.Client) -> None:
    response = api.post(SEND, content=b"to=33612345678", headers={"Content-Type": "text/plain"})
    assert response.status_code == 400
    assert error_of(response)["code"] == 100


def test_lenient_switch_accepts_unknown_keys_but_still_checks_the_rest() -> None:
    graph = make_graph(strict=False)
    with graph_router(graph), httpx.Client(base_url=GRAPH, headers=BEARER) as client:
        extra = _with(_with(wa_text(), 1, "priority"), "x", "text", "format")
        assert client.post(SEND, json=extra).status_code == 200
        assert client.post(SEND, json=_without(wa_text(), "text", "body")).status_code == 400


def test_mark_as_read_answers_success(api: httpx.Client) -> None:
    body = {
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": "wamid.HBgLMzM2MTIzNDU2NzgVAgASGBQzQUI=",
    }
    response = api.post(SEND, json=body)
    assert response.status_code == 200
    assert response.json() == {"success": True}
    schemas.validate("graph/success", response.json())
    typing = {**body, "typing_indicator": {"type": "text"}}
    assert api.post(SEND, json=typing).json() == {"success": True}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"messaging_product": "whatsapp", "status": "read"}, "message_id"),
        (
            {
                "messaging_product": "whatsapp",
                "status": "read",
                "message_id": "wamid.x",
                "typing_indicator": {"type": "audio"},
            },
            "typing_indicator['type']",
        ),
        (
            {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.x", "to": "1"},
            '"to"',
        ),
    ],
)
def test_invalid_mark_as_read_answers_error_100(
    api: httpx.Client, body: dict[str, Any], field: str
) -> None:
    response = api.post(SEND, json=body)
    assert response.status_code == 400
    assert field in error_of(response)["message"]


@pytest.mark.parametrize("version", ["v19.0", "v25.0", "v26.0", "v3.2"])
def test_any_graph_version_is_served(api: httpx.Client, version: str) -> None:
    assert api.post(SEND.replace("v25.0", version), json=wa_text()).status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v25.0/106540352242922/message"),
        ("GET", "/v25.0/106540352242922/messages"),
        ("POST", "/106540352242922/messages"),
        ("PUT", "/v25.0/123/media"),
    ],
)
def test_unknown_route_answers_actionable_404(api: httpx.Client, method: str, path: str) -> None:
    response = api.request(method, path, json=wa_text())
    assert response.status_code == 404
    message = error_of(response)["message"]
    assert f"({method}: {path})" in message
    assert "/{version}/{phone_number_id}/messages" in message


# Interactive limits Meta refuses with (#131009) "Parameter value is not valid" and the reason in
# error_data.details. Limits: reply buttons (max 3, title 1-20 characters, unique, body max 1024)
# and list messages (max 10 rows across all sections, titled sections when several, text
# header only, row title max 24, unique row ids) as the reply-button and list-message pages
# state them; the button-title sentence is the one a captured refusal carries.
def _button(i: int, title: str = "B") -> dict[str, object]:
    return {"type": "reply", "reply": {"id": f"b{i}", "title": title}}


def _rows(prefix: str, n: int) -> list[dict[str, str]]:
    return [{"id": f"{prefix}{i}", "title": f"Créneau {i}"} for i in range(n)]


def _interactive_list(**changes: object) -> dict[str, object]:
    body = copy.deepcopy(VALID["interactive_list"])
    body["interactive"].update(changes)  # type: ignore[union-attr]
    return body


def _list_of(sections: list[dict[str, object]]) -> dict[str, object]:
    body = copy.deepcopy(VALID["interactive_list"])
    body["interactive"]["action"]["sections"] = sections  # type: ignore[index]
    return body


INTERACTIVE_131009 = {
    "list_12_rows_in_2_sections": (
        _list_of([{"title": "Matin", "rows": _rows("m", 6)}, {"title": "Soir", "rows": _rows("s", 6)}]),
        "row count",
    ),
    "list_2_sections_without_titles": (
        _list_of([{"rows": _rows("m", 2)}, {"rows": _rows("s", 2)}]),
        "Section title",
    ),
    "list_duplicate_row_ids": (
        _list_of([{"title": "Matin", "rows": [{"id": "x", "title": "9h"}]},
                  {"title": "Soir", "rows": [{"id": "x", "title": "18h"}]}]),
        "row id",
    ),
    "list_image_header": (
        _interactive_list(header={"type": "image", "image": {"link": "https://e.com/a.jpg"}}),
        "Header type",
    ),
    "button_title_21_chars": (
        _with(VALID["interactive_button"], "a" * 21, "interactive", "action", "buttons", 0,
              "reply", "title"),  # type: ignore[arg-type]
        "Button title length invalid. Min length: 1, Max length: 20",
    ),
    "four_buttons": (
        _with(VALID["interactive_button"], [_button(i) for i in range(4)], "interactive",
              "action", "buttons"),
        "Buttons count",
    ),
    "button_body_1025_chars": (
        _with(VALID["interactive_button"], "a" * 1025, "interactive", "body", "text"),
        "Body text length invalid",
    ),
    "duplicate_button_ids": (
        _with(VALID["interactive_button"],
              [{"type": "reply", "reply": {"id": "same", "title": t}} for t in ("Oui", "Non")],
              "interactive", "action", "buttons"),
        "button id",
    ),
    "duplicate_button_titles": (
        _with(VALID["interactive_button"], [_button(0, "Oui"), _button(1, "Oui")],
              "interactive", "action", "buttons"),
        "button title",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(INTERACTIVE_131009))
def test_interactive_limits_answer_131009_with_details(api: httpx.Client, case: str) -> None:
    body, reason = INTERACTIVE_131009[case]
    response = api.post(SEND, json=body)
    assert response.status_code == 400
    error = error_of(response)
    schemas.validate("graph/error", {"error": error})
    assert error["code"] == 131009
    assert error["message"] == "(#131009) Parameter value is not valid"
    assert error["error_data"]["messaging_product"] == "whatsapp"
    assert reason.lower() in error["error_data"]["details"].lower()


def test_list_of_10_rows_across_sections_and_1024_char_button_body_pass(api: httpx.Client) -> None:
    ten = _list_of(
        [{"title": "Matin", "rows": _rows("m", 5)}, {"title": "Soir", "rows": _rows("s", 5)}]
    )
    assert api.post(SEND, json=ten).status_code == 200
    body = _with(VALID["interactive_button"], "a" * 1024, "interactive", "body", "text")
    assert api.post(SEND, json=body).status_code == 200
