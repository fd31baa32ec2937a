"""Envelope observability: the contract log line names type and timestamp; GET /admin/envelopes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from metasim.gateway.app import build_app
from metasim.gateway.envelopes import EnvelopeRing, Produced
from metasim.gateway.routes.admin import admin_routes
from metasim.gateway.runtime import Runtime
from metasim.gateway.worker import InboxWorker
from metasim.simulator import catalogue
from metasim.simulator.context import BuildContext
from tests.gateway.conftest import APP_SECRET, make_runtime, meta_bytes, sign

pytestmark = pytest.mark.anyio
NOW = 1767264532.0
ADMIN = "admin-token-for-envelope-tests-0123"
GRAPH_TOKEN = "EAAGdevtokenACME0000000000000000000000000000000000"


def _client(rt: Runtime) -> httpx.AsyncClient:
    app = build_app(rt, extra_routes=admin_routes(rt))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw.test")


async def _deliver(rt: Runtime, payload: dict[str, Any], path: str = "/webhook/wa") -> None:
    body = meta_bytes(payload)
    async with _client(rt) as c:
        r = await c.post(path, content=body, headers={"X-Hub-Signature-256": sign(body)})
    assert r.status_code == 200, r.text
    worker = InboxWorker(rt)
    while await worker.run_once():
        pass


def _wa_text(seed: int = 3) -> tuple[dict[str, Any], dict[str, Any]]:
    payload = catalogue.build("wa.text", BuildContext.seeded(seed, now=NOW))
    return payload, payload["entry"][0]["changes"][0]["value"]["messages"][0]


def _utc(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


async def test_contract_line_names_the_envelope_type_and_timestamp(logs) -> None:
    rt = make_runtime()
    payload, message = _wa_text()
    await _deliver(rt, payload)
    (line,) = [x for x in logs.lines if x["stage"] == "contract"]
    assert line["msg_id"] == message["id"]
    assert line["envelope_type"] == "text"
    # Meta's epoch seconds, read independently, are the same instant as the logged ISO UTC value
    assert line["envelope_timestamp"].endswith(("Z", "+00:00"))
    assert _utc(line["envelope_timestamp"]) == datetime.fromtimestamp(
        int(message["timestamp"]), UTC
    )
    assert APP_SECRET not in logs.text() and GRAPH_TOKEN not in logs.text()


async def test_a_messenger_update_logs_its_envelope_type_too(logs) -> None:
    rt = make_runtime()
    payload = catalogue.build("msg.text", BuildContext.seeded(4, now=NOW))
    await _deliver(rt, payload, "/webhook/msg")
    (line,) = [x for x in logs.lines if x["stage"] == "contract"]
    assert line["envelope_type"] == "text" and line["envelope_timestamp"]


async def test_admin_envelopes_returns_what_the_gateway_made_of_a_message(logs) -> None:
    rt = make_runtime(GATEWAY_ADMIN_TOKEN=ADMIN)
    payload, message = _wa_text()
    await _deliver(rt, payload)
    await _deliver(rt, payload)  # a redelivery: produced again, then deduped
    auth = {"Authorization": f"Bearer {ADMIN}"}
    async with _client(rt) as c:
        r = await c.get("/admin/envelopes", params={"msg_id": message["id"]}, headers=auth)
        none = await c.get("/admin/envelopes", params={"msg_id": "wamid.UNKNOWN"}, headers=auth)
    assert r.status_code == 200
    got = r.json()
    assert got["msg_id"] == message["id"] and got["count"] == 2
    first = got["envelopes"][0]
    assert first["channel"] == "wa" and first["valid"] is True
    env = first["envelope"]
    assert env["msg_id"] == message["id"]
    assert env["type"] == "text"
    assert env["from"] == message["from"]
    assert env["text"] == message["text"]["body"]
    assert env["provider"] == "wa"  # envelope schema: provider is the channel code
    assert _utc(env["timestamp"]) == datetime.fromtimestamp(int(message["timestamp"]), UTC)
    assert none.status_code == 200 and none.json()["count"] == 0


@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 401), ({"Authorization": "Bearer wrong"}, 403)],
)
async def test_admin_envelopes_needs_the_admin_token(logs, headers, status) -> None:
    rt = make_runtime(GATEWAY_ADMIN_TOKEN=ADMIN)
    async with _client(rt) as c:
        r = await c.get("/admin/envelopes", params={"msg_id": "wamid.X"}, headers=headers)
    assert r.status_code == status


async def test_admin_envelopes_without_msg_id_says_what_to_send(logs) -> None:
    rt = make_runtime(GATEWAY_ADMIN_TOKEN=ADMIN)
    async with _client(rt) as c:
        r = await c.get("/admin/envelopes", headers={"Authorization": f"Bearer {ADMIN}"})
    assert r.status_code == 400
    assert "msg_id" in r.json()["error"]["message"]


def _produced(n: int) -> Produced:
    env = {"msg_id": f"m{n}", "type": "text"}
    return Produced("wa", f"m{n}", f"c{n}", "$", True, float(n), env)


def test_the_ring_keeps_only_the_last_capacity_envelopes() -> None:
    ring = EnvelopeRing(capacity=3)
    for n in range(5):
        ring.add(_produced(n))
    assert len(ring) == 3
    assert ring.find("m0") == [] and ring.find("m1") == []
    assert [p.correlation_id for p in ring.find("m4")] == ["c4"]


def test_the_ring_keeps_a_copy_later_stages_cannot_change() -> None:
    ring = EnvelopeRing()
    produced = _produced(1)
    ring.add(produced)
    produced.envelope["type"] = "tampered"
    assert ring.find("m1")[0].envelope["type"] == "text"


def test_the_ring_refuses_a_zero_capacity() -> None:
    with pytest.raises(ValueError, match="capacity"):
        EnvelopeRing(capacity=0)
