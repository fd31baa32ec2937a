"""Fixtures for the fake Graph API tests: a fresh fake per test, reached through respx."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from metasim.simulator.context import Tenant
from metasim.simulator.graph import (
    DEFAULT_TOKEN,
    GraphApp,
    GraphConfig,
    create_graph_app,
    graph_router,
)

TENANT = Tenant()
WA = TENANT.phone_number_id
PAGE = TENANT.page_id
IG = TENANT.ig_account_id
BEARER = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
GRAPH = "https://graph.facebook.com"
SEND = f"/v25.0/{WA}/messages"


def wa_text(
    to: str = "33612345678", body: str = "Bonjour, votre colis arrive demain."
) -> dict[str, Any]:
    """A valid WhatsApp text send."""
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "text",
        "text": {"preview_url": False, "body": body},
    }


def page_text(
    psid: str = "1254477777772919", text: str = "Merci pour votre message !"
) -> dict[str, Any]:
    """A valid Messenger / Instagram text send."""
    return {"recipient": {"id": psid}, "messaging_type": "RESPONSE", "message": {"text": text}}


def make_graph(**options: Any) -> GraphApp:
    """A fake with a fixed seed (reproducible ids and fault draws)."""
    return create_graph_app(GraphConfig(seed=7, **options))


@pytest.fixture
def graph() -> GraphApp:
    """A fresh strict fake Graph API."""
    return make_graph()


@pytest.fixture
def api(graph: GraphApp) -> Iterator[httpx.Client]:
    """A plain httpx client on https://graph.facebook.com, routed to ``graph`` by respx."""
    with graph_router(graph), httpx.Client(base_url=GRAPH, headers=BEARER) as client:
        yield client


def error_of(response: httpx.Response) -> dict[str, Any]:
    """The ``error`` object of a Graph error answer."""
    body = response.json()
    assert set(body) == {"error"}, body
    return dict(body["error"])
