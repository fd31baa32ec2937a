"""Clients file: tenant routing per channel, tokens from file or env, reply rules, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from metasim.gateway.tenants import ClientsFileError, ReplyRule, Tenants

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "clients.json"


def test_example_file_routes_the_simulator_default_tenants() -> None:
    tenants = Tenants.load(EXAMPLE)
    # simulator.context.Tenant defaults (the ids every catalogue payload is addressed to)
    for channel, tenant_id in (
        ("wa", "106540352242922"),
        ("ig", "17841400000000001"),
        ("msg", "112233445566778"),
    ):
        client = tenants.resolve(channel, tenant_id)
        assert client is not None and client.client_id == "acme"
    assert tenants.resolve("wa", "999") is None
    assert tenants.resolve("ig", "106540352242922") is None  # ids are per channel
    assert tenants.resolve("wa", None) is None


def test_token_from_env_and_never_in_repr() -> None:
    data = {
        "clients": [
            {
                "client_id": "bistro",
                "channels": {"msg": ["1000"]},
                "token_env": "BISTRO_TOKEN",
                "api_key_env": "BISTRO_KEY",
                "reply_rule": {"kind": "fixed", "text": "Merci, nous revenons vers vous."},
            }
        ]
    }
    tenants = Tenants.from_dict(
        data, env={"BISTRO_TOKEN": "EAAB-token-xyz", "BISTRO_KEY": "k-123456"}
    )
    client = tenants.resolve("msg", "1000")
    assert client is not None
    assert client.graph_token == "EAAB-token-xyz"
    assert "EAAB-token-xyz" not in repr(client) and "k-123456" not in repr(client)
    assert tenants.by_api_key("k-123456") is client
    assert tenants.by_api_key("k-1234567") is None
    assert set(tenants.secret_values()) == {"EAAB-token-xyz", "k-123456"}


def test_every_problem_is_listed_with_its_path(tmp_path: Path) -> None:
    data = {
        "clients": [
            {"client_id": "", "channels": {"sms": ["1"]}, "token_env": "MISSING_TOKEN"},
            {
                "client_id": "b",
                "channels": {"wa": ["1"]},
                "token": "t",
                "reply_rule": {"kind": "keywords", "keywords": {}},
            },
            {"client_id": "c", "channels": {"wa": ["1"]}, "token": "t", "token_expires_at": "soon"},
        ]
    }
    path = tmp_path / "clients.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ClientsFileError) as caught:
        Tenants.load(path)
    text = str(caught.value)
    assert "clients[0].client_id" in text
    assert "clients[0].channels.sms" in text
    assert "MISSING_TOKEN" in text
    assert "clients[1].reply_rule.keywords" in text
    assert "clients[1].reply_rule.default" in text
    assert "clients[2].token_expires_at" in text


def test_the_same_id_for_two_clients_is_refused() -> None:
    data = {
        "clients": [
            {"client_id": "a", "channels": {"wa": ["1"]}, "token": "t1"},
            {"client_id": "b", "channels": {"wa": ["1"]}, "token": "t2"},
        ]
    }
    with pytest.raises(ClientsFileError, match="belongs to both a and b"):
        Tenants.from_dict(data)


def test_missing_file_says_which_variable_to_set(tmp_path: Path) -> None:
    with pytest.raises(ClientsFileError, match="GATEWAY_CLIENTS_FILE"):
        Tenants.load(tmp_path / "nope.json")


def test_reply_rules() -> None:
    assert ReplyRule("echo").reply("Bonjour", "text") == "Bonjour"
    assert ReplyRule("echo").reply("", "image") == "[image]"
    assert (
        ReplyRule("fixed", text="Nous sommes fermés").reply("Bonjour", "text")
        == "Nous sommes fermés"
    )
    rule = ReplyRule(
        "keywords",
        keywords={"horaires": "9h-18h", "prix": "Voir le site"},
        default="Un conseiller arrive",
    )
    assert rule.reply("Quels sont vos Horaires?", "text") == "9h-18h"
    assert rule.reply("horairesX", "text") == "Un conseiller arrive"  # a word, not a substring
    assert rule.reply("horaires samedi", "text") == "9h-18h"
    assert rule.reply("PRIX", "text") == "Voir le site"
    assert rule.reply(None, "image") == "Un conseiller arrive"


def test_token_expiry() -> None:
    data = {
        "clients": [
            {
                "client_id": "a",
                "channels": {"wa": ["1"]},
                "token": "t",
                "token_expires_at": "2030-01-01T00:00:00Z",
            }
        ]
    }
    client = Tenants.from_dict(data).resolve("wa", "1")
    assert client is not None
    assert client.token_ok(1_800_000_000)  # 2027
    assert not client.token_ok(1_900_000_000)  # 2030-03


def test_whole_entry_problems_name_the_entry_and_unknown_keys_say_what_to_do() -> None:
    data = {
        "clients": [
            {"client_id": "a", "channels": {"wa": ["1"]}, "reply_rule": {"kind": "fixed"}},
            {"client_id": "b", "channels": {"wa": ["2"]}, "token": "t", "tokne": "t"},
            {"client_id": "c", "channels": {"wa": ["3"]}, "token": "t", "api_key": "k",
             "api_key_env": "C_KEY"},
        ]
    }  # fmt: skip
    with pytest.raises(ClientsFileError) as caught:
        Tenants.from_dict(data, env={"C_KEY": "k2"}, source="clients.json")
    assert caught.value.problems == [
        "clients[0]: token or token_env is required",
        "clients[0].reply_rule.text is required",
        "clients[1].tokne: unknown key; remove it or fix its spelling "
        "(format: payloads/schemas/tenants-file.schema.json)",
        "clients[2]: give api_key or api_key_env, not both",
    ]
    assert str(caught.value).startswith("invalid clients file clients.json:")


def test_an_epoch_expiry_is_seconds_even_far_ahead() -> None:
    entry = {"client_id": "a", "channels": {"wa": ["1"]}, "token": "t"}
    year_3000 = 32503680000  # date -ud 3000-01-01 +%s
    data = {"clients": [{**entry, "token_expires_at": year_3000}]}
    client = Tenants.from_dict(data).resolve("wa", "1")
    assert client is not None and client.token_expires_at == year_3000
