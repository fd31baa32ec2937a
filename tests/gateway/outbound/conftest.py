"""Outbound fixtures: a runtime on a real store, a scripted fake Graph API, captured log lines."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from metasim.gateway.observability.logs import configure_logging
from metasim.gateway.observability.metrics import Metrics
from metasim.gateway.outbound.graph_client import GraphClient
from metasim.gateway.runtime import Runtime
from metasim.gateway.settings import Settings
from metasim.gateway.store.base import OutboxItem, Store
from metasim.gateway.tenants import Tenants
from tests.gateway.store.conftest import (  # noqa: F401  (fixtures shared with the store suite)
    Clock,
    anyio_backend,
    clock,
    redis_url,
    store,
    store_url,
)

GRAPH = "http://graph.test/v25.0"
PHONE_ID = "106540352242922"
TOKEN = "EAAGtestTOKENoutbound000000000000000000"
CLIENTS = {
    "clients": [
        {
            "client_id": "acme",
            "channels": {"wa": [PHONE_ID], "msg": ["112233445566778"], "ig": ["17841400000000001"]},
            "token": TOKEN,
            "api_key": "acme-api-key-test-000000000000",
            "reply_rule": {"kind": "echo"},
        }
    ]
}
WA_OK = {
    "messaging_product": "whatsapp",
    "contacts": [{"input": "33612345678", "wa_id": "33612345678"}],
    "messages": [{"id": "wamid.HBgLMzM2MTIzNDU2NzgVAgARGBI="}],
}


def graph_error(code: int, subcode: int | None = None) -> dict[str, Any]:
    """A Graph error body as docs/meta-contract.md §h shows it."""
    err: dict[str, Any] = {
        "message": f"(#{code}) test error",
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "AbCdEfGh123",
    }
    if subcode is not None:
        err["error_subcode"] = subcode
    return {"error": err}


@dataclass
class FakeGraph:
    """Answers each POST with the next scripted (status, body, headers); records every call.

    Test-only, kept beside the shipped fake (metasim.simulator.graph) on purpose: these unit
    tests hand the outbox worker raw answers the shipped fake cannot give, since its faults
    only answer as Graph does (a catalogued error, or a bare 5xx): an error body with no code
    at all (``{"error": {"message": "bad"}}``) and a catalogued code under any status the test
    picks, so the worker's classification is tested on the answer alone. It runs in-process
    (httpx.ASGITransport) on a fake clock; what Graph really answers is tested against the
    shipped fake (test_aiohttp_transport, test_ambiguous, the acceptance suite).
    """

    script: list[tuple[int, dict[str, Any], dict[str, str]]] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)

    def then(self, status: int, body: dict[str, Any], **headers: str) -> FakeGraph:
        self.script.append((status, body, headers))
        return self

    async def handle(self, request: Request) -> Response:
        self.calls.append(
            {
                "path": request.url.path,
                "auth": request.headers.get("authorization"),
                "body": json.loads(await request.body()),
            }
        )
        status, body, headers = self.script.pop(0) if self.script else (200, WA_OK, {})
        return JSONResponse(body, status_code=status, headers=headers)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/{path:path}", self.handle, methods=["POST", "GET"])])


@pytest.fixture
def graph() -> FakeGraph:
    return FakeGraph()


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    """Every JSON log line written during the test."""
    buf = io.StringIO()
    configure_logging(level="DEBUG", stream=buf, secrets=[TOKEN])
    yield buf
    configure_logging()


def lines(buf: io.StringIO, stage: str | None = None) -> list[dict[str, Any]]:
    out = [json.loads(x) for x in buf.getvalue().splitlines() if x.strip()]
    return [x for x in out if stage is None or x.get("stage") == stage]


RuntimeFactory = Callable[..., Runtime]


@pytest.fixture
async def make_runtime(
    store: Store,  # noqa: F811  (the imported fixture, requested by name)
    clock: Clock,  # noqa: F811
    graph: FakeGraph,
) -> AsyncIterator[RuntimeFactory]:
    clients: list[httpx.ASGITransport] = []

    def make(**settings: Any) -> Runtime:
        http = httpx.ASGITransport(app=graph.app())
        clients.append(http)
        base = {
            "outbox_backoff_base_seconds": 1.0,
            "outbox_max_attempts": 5,
            "admin_token": "admin-secret-token-1234",
        }
        return Runtime(
            settings=Settings(**{**base, **settings}),
            store=store,
            metrics=Metrics(),
            tenants=Tenants.from_dict(CLIENTS),
            graph=GraphClient(http, timeout=5),
            clock=clock,
        )

    yield make
    for http in clients:
        await http.aclose()


def reply(key: str, due: float, text: str = "Bonjour") -> OutboxItem:
    """A WhatsApp reply as the pipeline queues it."""
    return OutboxItem(
        key=key,
        channel="wa",
        client_id="acme",
        url=f"{GRAPH}/{PHONE_ID}/messages",
        body={
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "33612345678",
            "type": "text",
            "text": {"body": text},
        },
        correlation_id=f"corr-{key}",
        msg_id=key.split(":", 1)[1],
        next_attempt_at=due,
        created_at=due - 0.25,
    )
