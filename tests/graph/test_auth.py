"""Tokens: Bearer or access_token. Unknown or expired tokens answer 190 (HTTP 401 on WhatsApp,
400 on Messenger / Instagram); no token at all answers 400 with 104 (an object's endpoint) or
2500 (/me)."""

from __future__ import annotations

import re

import httpx
import pytest

from metasim.simulator import schemas
from metasim.simulator.graph import GraphApp

from .conftest import IG, PAGE, SEND, WA, error_of, page_text, wa_text

FBTRACE = re.compile(r"^[A-Za-z0-9_-]{8,40}$")


def _assert_190(response: httpx.Response) -> dict[str, object]:
    assert response.status_code == 401
    error = error_of(response)
    schemas.validate("graph/error", {"error": error})
    assert error["code"] == 190
    assert error["type"] == "OAuthException"
    assert FBTRACE.match(str(error["fbtrace_id"]))
    assert response.headers["www-authenticate"].startswith('OAuth "Facebook Platform"')
    return error


def _assert_missing(response: httpx.Response, code: int) -> None:
    assert response.status_code == 400
    error = error_of(response)
    schemas.validate("graph/error", {"error": error})
    assert (error["code"], error["type"]) == (code, "OAuthException")
    assert "www-authenticate" not in response.headers


def test_missing_token_on_an_object_endpoint_answers_400_code_104(api: httpx.Client) -> None:
    response = api.post(SEND, json=wa_text(), headers={"Authorization": ""})
    _assert_missing(response, 104)
    assert error_of(response)["message"] == "An access token is required to request this resource."


def test_missing_token_on_me_messages_answers_400_code_2500(api: httpx.Client) -> None:
    response = api.post("/v25.0/me/messages", json=page_text(), headers={"Authorization": ""})
    _assert_missing(response, 2500)
    assert str(error_of(response)["message"]).startswith("An active access token must be used")


@pytest.mark.parametrize("path", ["/v25.0/me/messages", f"/v25.0/{PAGE}/messages"])
def test_bad_token_on_messenger_answers_400_code_190(api: httpx.Client, path: str) -> None:
    response = api.post(path, json=page_text(), headers={"Authorization": "Bearer EAAGnope"})
    assert response.status_code == 400
    error = error_of(response)
    assert (error["code"], error["type"]) == (190, "OAuthException")
    assert error["message"] == "Invalid OAuth access token - Cannot parse access token"


def test_expired_token_on_instagram_answers_400_190_subcode_463(
    api: httpx.Client, graph: GraphApp
) -> None:
    graph.tokens.add(IG, "EAAGigSoonGone", "ig", expires_at=1.0)
    response = api.post(
        f"/v25.0/{IG}/messages",
        json=page_text(),
        headers={"Authorization": "Bearer EAAGigSoonGone"},
    )
    assert response.status_code == 400
    assert (error_of(response)["code"], error_of(response)["error_subcode"]) == (190, 463)


def test_unknown_token_answers_190(api: httpx.Client) -> None:
    error = _assert_190(
        api.post(SEND, json=wa_text(), headers={"Authorization": "Bearer EAAGnope"})
    )
    assert "Invalid OAuth access token" in str(error["message"])


def test_unknown_token_in_query_answers_190(api: httpx.Client) -> None:
    _assert_190(
        api.post(SEND + "?access_token=EAAGnope", json=wa_text(), headers={"Authorization": ""})
    )


def test_non_bearer_scheme_counts_as_missing(api: httpx.Client) -> None:
    response = api.post(SEND, json=wa_text(), headers={"Authorization": "Basic dXNlcjpwYXNz"})
    _assert_missing(response, 104)


def test_expired_token_answers_190_subcode_463(api: httpx.Client, graph: GraphApp) -> None:
    graph.tokens.add(WA, "EAAGshortLived", "wa", expires_at=graph.clock.now() + 60)
    headers = {"Authorization": "Bearer EAAGshortLived"}
    assert api.post(SEND, json=wa_text(), headers=headers).status_code == 200
    graph.clock.advance(61)
    error = _assert_190(api.post(SEND, json=wa_text(), headers=headers))
    assert error["error_subcode"] == 463
    assert "expired" in str(error["message"])


def test_expire_now_makes_the_next_call_fail(api: httpx.Client, graph: GraphApp) -> None:
    graph.tokens.add(WA, "EAAGsoonGone", "wa")
    graph.tokens.expire("EAAGsoonGone")
    _assert_190(api.post(SEND, json=wa_text(), headers={"Authorization": "Bearer EAAGsoonGone"}))


def test_revoked_token_answers_190(api: httpx.Client, graph: GraphApp) -> None:
    graph.tokens.add(WA, "EAAGrevoked", "wa")
    graph.tokens.revoke("EAAGrevoked")
    _assert_190(api.post(SEND, json=wa_text(), headers={"Authorization": "Bearer EAAGrevoked"}))


def test_token_of_another_tenant_answers_100_subcode_33(api: httpx.Client, graph: GraphApp) -> None:
    graph.tokens.add("109999999999999", "EAAGotherNumber", "wa")
    response = api.post(SEND, json=wa_text(), headers={"Authorization": "Bearer EAAGotherNumber"})
    assert response.status_code == 400
    error = error_of(response)
    assert (error["code"], error["error_subcode"]) == (100, 33)
    assert WA in str(error["message"])


def test_page_token_cannot_send_for_the_whatsapp_number(api: httpx.Client, graph: GraphApp) -> None:
    graph.tokens.add(PAGE, "EAAGpageToken", "msg")
    response = api.post(SEND, json=wa_text(), headers={"Authorization": "Bearer EAAGpageToken"})
    assert error_of(response)["error_subcode"] == 33


def test_auth_is_checked_before_the_body(api: httpx.Client) -> None:
    response = api.post(SEND, json={"nonsense": True}, headers={"Authorization": ""})
    assert error_of(response)["code"] == 104


@pytest.mark.parametrize("spec", ["wa:1=", "sms:1=t", "106540352242922", "wa=tok"])
def test_bad_grant_spec_is_refused_with_the_format(spec: str) -> None:
    from metasim.simulator.graph.tokens import parse_grant

    with pytest.raises(ValueError, match="CHANNEL:TENANT_ID=TOKEN"):
        parse_grant(spec)
