"""Admin API (DLQ and quarantine) and the outbound API POST /v1/messages, in process."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jsonschema
import pytest
from starlette.applications import Starlette

from metasim.gateway.outbound.worker import OutboxWorker
from metasim.gateway.routes.admin import admin_routes
from metasim.gateway.routes.outbound_api import outbound_routes
from metasim.gateway.runtime import Runtime
from metasim.gateway.store.base import Quarantined
from tests.gateway.outbound.conftest import (
    PHONE_ID,
    Clock,
    FakeGraph,
    RuntimeFactory,
    graph_error,
    reply,
)

pytestmark = pytest.mark.anyio
ADMIN = {"Authorization": "Bearer admin-secret-token-1234"}
API = {"Authorization": "Bearer acme-api-key-test-000000000000"}
SCHEMAS = "payloads/schemas/graph"


@pytest.fixture
def rt(make_runtime: RuntimeFactory) -> Runtime:
    return make_runtime(
        wa_send_url="http://graph.test/v25.0",
        msg_send_url="http://graph.test/v25.0",
        ig_send_url="http://graph.test/v25.0",
    )


@pytest.fixture
async def http(rt: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    app = Starlette(routes=[*admin_routes(rt), *outbound_routes(rt)])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as c:
        yield c


async def _dead_letters(rt: Runtime, graph: FakeGraph, clock: Clock) -> None:
    graph.then(503, graph_error(2)).then(400, graph_error(131026))
    await rt.store.outbox_put(reply("wa:wamid.OUTAGE", clock.now))
    await rt.store.outbox_put(reply("wa:wamid.BAD", clock.now + 0.001))
    worker = OutboxWorker(rt, batch=1)
    rt.settings = rt.settings.model_copy(update={"outbox_max_attempts": 1})
    await worker.run_once()
    clock.now += 0.01
    await worker.run_once()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/admin/dlq"),
        ("POST", "/admin/dlq/replay"),
        ("DELETE", "/admin/dlq"),
        ("GET", "/admin/quarantine"),
        ("POST", "/admin/quarantine/replay"),
        ("DELETE", "/admin/quarantine"),
    ],
)
async def test_admin_refuses_missing_and_wrong_tokens(
    http: httpx.AsyncClient, method: str, path: str
) -> None:
    missing = await http.request(method, path)
    assert missing.status_code == 401 and missing.json()["error"]["code"] == "unauthenticated"
    assert missing.headers["www-authenticate"].startswith("Bearer")
    wrong = await http.request(
        method, path, headers={"Authorization": "Bearer admin-secret-token-12345"}
    )
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "forbidden"
    basic = await http.request(method, path, headers={"Authorization": "Basic YWRtaW46YWRtaW4="})
    assert basic.status_code == 401


async def test_admin_lists_replays_and_purges_the_dlq(
    rt: Runtime, http: httpx.AsyncClient, graph: FakeGraph, clock: Clock
) -> None:
    await _dead_letters(rt, graph, clock)
    listed = (await http.get("/admin/dlq", headers=ADMIN)).json()
    assert listed["depth"] == 2
    by_key = {i["key"]: i for i in listed["items"]}
    assert by_key["wa:wamid.OUTAGE"]["replayable"] is True
    assert by_key["wa:wamid.BAD"]["reason"] == "graph-131026"
    assert by_key["wa:wamid.BAD"]["correlation_id"] == "corr-wa:wamid.BAD"
    # without force only the replayable one goes back; the permanent one is reported skipped
    r = await http.post(
        "/admin/dlq/replay", headers=ADMIN, json={"keys": ["wa:wamid.OUTAGE", "wa:wamid.BAD"]}
    )
    assert r.status_code == 200 and r.json() == {
        "replayed": ["wa:wamid.OUTAGE"],
        "skipped": ["wa:wamid.BAD"],
    }
    assert await OutboxWorker(rt).run_once() == 1
    assert (await rt.store.outbox_get("wa:wamid.OUTAGE")).state == "sent"  # type: ignore[union-attr]
    bad = await http.post("/admin/dlq/replay", headers=ADMIN, json={"keys": "wa:wamid.BAD"})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "keys"
    purged = await http.request(
        "DELETE", "/admin/dlq", headers=ADMIN, json={"keys": ["wa:wamid.BAD"]}
    )
    assert purged.json() == {"purged": 1}
    assert (await http.get("/admin/dlq", headers=ADMIN)).json() == {"depth": 0, "items": []}


async def test_admin_force_replays_a_permanent_dead_letter(
    rt: Runtime, http: httpx.AsyncClient, graph: FakeGraph, clock: Clock
) -> None:
    await _dead_letters(rt, graph, clock)
    r = await http.post("/admin/dlq/replay", headers=ADMIN, json={"force": True})
    assert r.json()["replayed"] == ["wa:wamid.BAD", "wa:wamid.OUTAGE"]
    assert await rt.store.dlq_depth() == 0 and await rt.store.outbox_depth() == 2


async def test_admin_quarantine_replay_reinjects_the_raw_event(
    rt: Runtime, http: httpx.AsyncClient, clock: Clock
) -> None:
    raw = b'{"object":"whatsapp_business_account","entry":[]}'
    for n in range(2):
        await rt.store.quarantine_put(
            Quarantined(
                f"q{n}",
                "wa",
                "unknown-tenant",
                raw,
                f"corr-q{n}",
                clock.now + n,
                {"where": "entry[0]"},
            )
        )
    listed = (await http.get("/admin/quarantine?limit=10", headers=ADMIN)).json()
    assert listed["depth"] == 2 and listed["items"][0]["raw"] == raw.decode()
    r = await http.post("/admin/quarantine/replay", headers=ADMIN, json={"keys": ["q0"]})
    assert r.json() == {"replayed": ["q0"]}
    [event] = await rt.store.inbox_claim("t", 10, 30)
    assert event.raw == raw and event.channel == "wa" and event.correlation_id == "corr-q0"
    assert (await http.request("DELETE", "/admin/quarantine", headers=ADMIN)).json() == {
        "purged": 1
    }
    assert (await http.get("/admin/quarantine?limit=0", headers=ADMIN)).status_code == 400


async def test_a_quarantine_replay_cut_halfway_by_the_store_loses_nothing(
    rt: Runtime, http: httpx.AsyncClient, clock: Clock
) -> None:
    """The store fails on the second re-injection: the first item is in the inbox (and out of
    the quarantine), the rest still in the quarantine; a second replay finishes the job."""
    raws = {f"q{n}": b'{"object":"whatsapp_business_account","n":%d}' % n for n in range(3)}
    for n, (qid, raw) in enumerate(raws.items()):
        await rt.store.quarantine_put(
            Quarantined(qid, "wa", "crash", raw, f"corr-{qid}", clock.now + n, {})
        )
    real_put, calls = rt.store.inbox_put, {"n": 0}

    async def put_fails_once_at_the_second(event: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise ConnectionError("store went away mid-replay")
        await real_put(event)

    rt.store.inbox_put = put_fails_once_at_the_second  # type: ignore[method-assign]
    r = await http.post("/admin/quarantine/replay", headers=ADMIN)
    assert r.status_code == 503 and r.json()["replayed"] == ["q0"]
    left = [q.quarantine_id for q in await rt.store.quarantine_list()]
    inbox = [e.raw for e in await rt.store.inbox_claim("look", 10, 0.0)]
    assert left == ["q1", "q2"] and inbox == [raws["q0"]]
    again = await http.post("/admin/quarantine/replay", headers=ADMIN)
    assert again.status_code == 200 and again.json() == {"replayed": ["q1", "q2"]}
    assert await rt.store.quarantine_depth() == 0
    clock.now += 1
    inbox = sorted(e.raw for e in await rt.store.inbox_claim("look2", 10, 30))
    assert inbox == sorted(raws.values())  # each exactly once


def _schema(name: str) -> dict[str, Any]:
    with open(f"{SCHEMAS}/{name}", encoding="utf-8") as f:
        return json.load(f)


WA_MESSAGES = [
    {"type": "text", "text": {"body": "Bonjour"}},
    {"type": "image", "image": {"link": "https://cdn.example.com/a.jpg", "caption": "Voici"}},
    {"type": "document", "document": {"id": "1234567890", "filename": "facture.pdf"}},
    {"type": "audio", "audio": {"id": "998877", "voice": True}},
    {"type": "template", "template": {"name": "order_update", "language": {"code": "fr"}}},
    {
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": "Choisir"},
            "action": {"buttons": [{"type": "reply", "reply": {"id": "oui", "title": "Oui"}}]},
        },
    },
    {"type": "reaction", "reaction": {"message_id": "wamid.HBgLMzM2", "emoji": "👍"}},
    {
        "type": "location",
        "location": {
            "latitude": 48.8566,
            "longitude": 2.3522,
            "name": "Paris",
            "address": "Place de l'Hôtel de Ville",
        },
    },
    {
        "type": "contacts",
        "contacts": [
            {
                "name": {"formatted_name": "Marie Curie", "first_name": "Marie"},
                "phones": [{"phone": "+33612345678", "type": "CELL"}],
            }
        ],
    },
    {"type": "text", "text": {"body": "En réponse"}, "context": {"message_id": "wamid.HBgLMzM2"}},
]


@pytest.mark.parametrize(
    "message", WA_MESSAGES, ids=lambda m: m["type"] + ("+context" if "context" in m else "")
)
async def test_api_queues_every_whatsapp_type_as_a_valid_graph_send(
    rt: Runtime, http: httpx.AsyncClient, message: dict[str, Any]
) -> None:
    r = await http.post(
        "/v1/messages", headers=API, json={"channel": "wa", "to": "33612345678", "message": message}
    )
    assert r.status_code == 202, r.text
    item = await rt.store.outbox_get(r.json()["key"])
    assert item is not None and item.url == f"http://graph.test/v25.0/{PHONE_ID}/messages"
    assert item.body["messaging_product"] == "whatsapp" and item.body["to"] == "33612345678"
    assert item.body[message["type"]] == message[message["type"]]
    jsonschema.validate(item.body, _schema("wa-send.json"))


@pytest.mark.parametrize(
    ("channel", "message", "expected"),
    [
        ("msg", {"type": "text", "text": {"body": "Salut"}}, {"text": "Salut"}),
        (
            "ig",
            {
                "type": "attachment",
                "attachment": {
                    "type": "image",
                    "payload": {"url": "https://cdn.example.com/a.jpg"},
                },
            },
            {"attachment": {"type": "image", "payload": {"url": "https://cdn.example.com/a.jpg"}}},
        ),
        (
            "msg",
            {
                "type": "quick_replies",
                "text": {"body": "Taille ?"},
                "quick_replies": [{"content_type": "text", "title": "M", "payload": "SIZE_M"}],
            },
            {
                "text": "Taille ?",
                "quick_replies": [{"content_type": "text", "title": "M", "payload": "SIZE_M"}],
            },
        ),
    ],
)
async def test_api_queues_messenger_and_instagram_sends(
    rt: Runtime, http: httpx.AsyncClient, channel: str, message: dict, expected: dict
) -> None:
    r = await http.post(
        "/v1/messages",
        headers=API,
        json={"channel": channel, "to": "2468013579", "message": message},
    )
    assert r.status_code == 202, r.text
    item = await rt.store.outbox_get(r.json()["key"])
    assert item is not None
    assert item.body == {
        "recipient": {"id": "2468013579"},
        "messaging_type": "RESPONSE",
        "message": expected,
    }
    jsonschema.validate(item.body, _schema("msgr-send.json"))


async def test_api_sends_a_bsuid_as_recipient(rt: Runtime, http: httpx.AsyncClient) -> None:
    r = await http.post(
        "/v1/messages",
        headers=API,
        json={
            "channel": "wa",
            "to": "US.13491208655302741918",
            "message": {"type": "text", "text": {"body": "Hi"}},
        },
    )
    item = await rt.store.outbox_get(r.json()["key"])
    assert (
        item is not None
        and item.body["recipient"] == "US.13491208655302741918"
        and "to" not in item.body
    )


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({"to": "33612345678", "message": {"type": "text", "text": {"body": "x"}}}, 400, "channel"),
        ({"channel": "sms", "to": "1", "message": {}}, 400, "channel"),
        ({"channel": "wa", "message": {"type": "text", "text": {"body": "x"}}}, 400, "to"),
        ({"channel": "wa", "to": "33612345678"}, 400, "message"),
        ({"channel": "wa", "to": "33612345678", "message": {"type": "fax"}}, 400, "message.type"),
        (
            {"channel": "wa", "to": "33612345678", "message": {"type": "image"}},
            400,
            "message.image",
        ),
        (
            {
                "channel": "wa",
                "to": "33612345678",
                "message": {"type": "text", "text": {"body": ""}},
            },
            400,
            "message.text.body",
        ),
        (
            {
                "channel": "wa",
                "to": "33612345678",
                "message": {"type": "image", "image": {"link": "ftp://x"}},
            },
            400,
            "message.image.link",
        ),
        (
            {
                "channel": "wa",
                "to": "33612345678",
                "from": "999",
                "message": {"type": "text", "text": {"body": "x"}},
            },
            403,
            "from",
        ),
        (
            {"channel": "msg", "to": "2468013579", "message": {"type": "text"}},
            400,
            "message.text.body",
        ),
    ],
)
async def test_api_rejects_bad_bodies_naming_the_field(
    http: httpx.AsyncClient, payload: dict, status: int, field: str
) -> None:
    r = await http.post("/v1/messages", headers=API, json=payload)
    assert r.status_code == status, r.text
    assert r.json()["error"]["field"] == field


async def test_api_auth_and_idempotency(rt: Runtime, http: httpx.AsyncClient) -> None:
    body = {
        "channel": "wa",
        "to": "33612345678",
        "message": {"type": "text", "text": {"body": "x"}},
    }
    assert (await http.post("/v1/messages", json=body)).status_code == 401
    assert (
        await http.post("/v1/messages", json=body, headers={"Authorization": "Bearer nope"})
    ).status_code == 403
    assert (await http.post("/v1/messages", content=b"{not json", headers=API)).status_code == 400
    first = await http.post(
        "/v1/messages", json=body, headers={**API, "Idempotency-Key": "order-42"}
    )
    again = await http.post(
        "/v1/messages", json=body, headers={**API, "Idempotency-Key": "order-42"}
    )
    assert first.status_code == 202 and again.status_code == 200
    assert again.json() == {"key": "wa:api:acme:order-42", "status": "duplicate"}
    assert await rt.store.outbox_depth() == 1


async def test_an_oversized_api_body_is_refused_while_streaming_not_after_reading_it(
    http: httpx.AsyncClient,
) -> None:
    """Chunked (no Content-Length): the gateway stops at the limit (256 KiB) instead of
    reading megabytes into memory first, as the webhook route does."""
    sent = {"chunks": 0}

    async def endless() -> AsyncIterator[bytes]:
        for _ in range(200):  # 12.5 MiB if read to the end
            sent["chunks"] += 1
            yield b"x" * 65536

    r = await http.post("/v1/messages", headers=API, content=endless())
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
    assert sent["chunks"] <= 6  # 256 KiB is 4 chunks; a little read-ahead at most


async def test_a_declared_oversized_api_body_is_refused_before_reading(
    http: httpx.AsyncClient,
) -> None:
    body = b"{" + b" " * (300 * 1024) + b"}"
    r = await http.post("/v1/messages", headers=API, content=body)
    assert r.status_code == 413


async def test_an_oversized_admin_body_is_refused_while_streaming(http: httpx.AsyncClient) -> None:
    sent = {"chunks": 0}

    async def endless() -> AsyncIterator[bytes]:
        for _ in range(100):
            sent["chunks"] += 1
            yield b" " * 65536

    r = await http.post("/admin/dlq/replay", headers=ADMIN, content=endless())
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
    assert sent["chunks"] <= 3
