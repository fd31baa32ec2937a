"""The Graph client over aiohttp (what `serve` uses): answers, encodings and failures as httpx's."""

from __future__ import annotations

import asyncio
import gzip
import json
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from metasim.gateway.outbound.aiohttp_transport import AiohttpTransport
from metasim.gateway.outbound.graph_client import GraphClient
from metasim.simulator.net import free_port, wait_listening

pytestmark = pytest.mark.anyio
T = TypeVar("T")
SEND = {"messaging_product": "whatsapp", "to": "33612345678", "type": "text",
        "text": {"body": "héllo / ok"}}  # fmt: skip


class Seen:
    """What the local Graph stand-in received."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []


@pytest.fixture(scope="module")
def graph() -> Iterator[tuple[str, Seen]]:
    seen = Seen()

    async def send(request: Request) -> Response:
        body = await request.body()
        seen.requests.append((request.method, dict(request.headers), body))
        answer = json.dumps({"messaging_product": "whatsapp", "messages": [{"id": "wamid.OK"}]})
        return Response(answer, media_type="application/json")

    async def zipped(request: Request) -> Response:
        data = gzip.compress(b'{"id": "1234", "url": "https://lookaside.fbsbx.com/x"}')
        return Response(data, media_type="application/json", headers={"Content-Encoding": "gzip"})

    async def limited(request: Request) -> Response:
        error = {"error": {"message": "rate", "code": 130429, "type": "OAuthException"}}
        return Response(json.dumps(error), 429, {"Retry-After": "7"}, "application/json")

    async def slow(request: Request) -> Response:
        await asyncio.sleep(2)
        return Response("{}", media_type="application/json")

    app = Starlette(
        routes=[
            Route("/v25.0/{phone}/messages", send, methods=["POST"]),
            Route("/v25.0/zipped", zipped, methods=["GET"]),
            Route("/v25.0/limited", limited, methods=["POST"]),
            Route("/v25.0/slow", slow, methods=["POST"]),
        ]
    )
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_listening(port)
    try:
        yield f"http://127.0.0.1:{port}/v25.0", seen
    finally:
        server.should_exit = True
        thread.join(timeout=10)


async def _with_client(timeout: float, use: Callable[[GraphClient], Awaitable[T]]) -> T:
    """``use`` a Graph client over a fresh aiohttp transport, closed afterwards."""
    client = GraphClient(AiohttpTransport(), timeout=timeout)
    try:
        return await use(client)
    finally:
        await client.aclose()


async def test_a_send_carries_the_token_and_json_and_returns_graphs_answer(graph) -> None:
    base, seen = graph
    answer = await _with_client(
        5, lambda c: c.send(f"{base}/106540352242922/messages", SEND, "EAAtoken123")
    )
    assert answer.ok and answer.body["messages"][0]["id"] == "wamid.OK"
    method, headers, body = seen.requests[-1]
    assert method == "POST" and headers["authorization"] == "Bearer EAAtoken123"
    assert headers["content-type"] == "application/json"
    assert json.loads(body) == SEND  # UTF-8 JSON, the text unchanged


async def test_a_gzip_answer_is_decoded_once(graph) -> None:
    base, _ = graph
    info = await _with_client(5, lambda c: c.media(base, "zipped", "EAAtoken123"))
    assert info["url"].startswith("https://lookaside.fbsbx.com/")


async def test_retry_after_and_the_graph_error_come_through(graph) -> None:
    base, _ = graph
    answer = await _with_client(5, lambda c: c.send(f"{base}/limited", SEND, "t"))
    assert answer.status == 429 and answer.retry_after == 7.0
    assert answer.body["error"]["code"] == 130429


async def test_nothing_listening_is_a_connect_failure() -> None:
    answer = await _with_client(
        2, lambda c: c.send(f"http://127.0.0.1:{free_port()}/v25.0/1/messages", SEND, "t")
    )
    assert answer.status == 0 and answer.transport == "connect"


async def test_a_graph_slower_than_the_timeout_is_a_timeout(graph) -> None:
    base, _ = graph
    started = time.monotonic()
    answer = await _with_client(0.3, lambda c: c.send(f"{base}/slow", SEND, "t"))
    assert answer.status == 0 and answer.transport == "ambiguous"  # it left: maybe accepted
    assert time.monotonic() - started < 1.5  # cut at the timeout, not at the 2 s answer
