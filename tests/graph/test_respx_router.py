"""graph_router: any httpx client, sync or async, reaches the in-process fake without a socket."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import respx

from metasim.simulator.graph import DEFAULT_TOKEN, GraphApp, graph_router

from .conftest import BEARER, GRAPH, SEND, page_text, wa_text


def test_async_client_is_routed(graph: GraphApp) -> None:
    async def send() -> httpx.Response:
        async with httpx.AsyncClient(headers=BEARER) as client:
            return await client.post(GRAPH + SEND, json=wa_text())

    with graph_router(graph):
        response = asyncio.run(send())
    assert response.status_code == 200
    assert graph.recorder.last.status == 200


def test_sync_client_and_instagram_host_are_routed(graph: GraphApp) -> None:
    with graph_router(graph):
        assert httpx.post(GRAPH + SEND, json=wa_text(), headers=BEARER).status_code == 200
        answer = httpx.post(
            f"https://graph.instagram.com/v25.0/me/messages?access_token={DEFAULT_TOKEN}",
            json=page_text("17841412345678901"),
        )
    assert answer.status_code == 200
    assert graph.recorder.last.channel == "ig"


def test_other_hosts_stay_refused_like_respx(graph: GraphApp) -> None:
    with graph_router(graph), pytest.raises(respx.models.AllMockedAssertionError):
        httpx.get("https://example.com/")


def test_router_options_pass_through(graph: GraphApp) -> None:
    with graph_router(graph, assert_all_mocked=False):
        assert httpx.get("https://example.com/").status_code == 200  # respx's auto 200


def test_async_closed_loop_drains() -> None:
    from metasim.simulator.graph import CallbackSettings, GraphConfig, create_graph_app

    seen: list[bytes] = []

    async def gateway(scope: dict, receive: object, send: object) -> None:  # type: ignore[type-arg]
        message = await receive()  # type: ignore[operator]
        seen.append(message["body"])
        await send({"type": "http.response.start", "status": 200, "headers": []})  # type: ignore[operator]
        await send({"type": "http.response.body", "body": b""})  # type: ignore[operator]

    looped = create_graph_app(GraphConfig(callbacks=CallbackSettings(to=gateway, secret="s")))

    async def run() -> None:
        async with httpx.AsyncClient(headers=BEARER) as client:
            await client.post(GRAPH + SEND, json=wa_text())
        await looped.callbacks.drain()
        await looped.aclose()

    with graph_router(looped):
        asyncio.run(run())
    assert len(seen) == 3
