"""The Graph client over aiohttp (what `serve` uses): answers, encodings and failures as httpx's."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

import pytest
from starlette.middleware.gzip import GZipMiddleware

from metasim.gateway.outbound.aiohttp_transport import AiohttpTransport
from metasim.gateway.outbound.graph_client import GraphClient
from metasim.simulator.graph import GraphApp, GraphConfig, TokenGrant, create_graph_app
from metasim.simulator.graph.server import ServerThread
from metasim.simulator.net import free_port

pytestmark = pytest.mark.anyio
T = TypeVar("T")
SEND = {"messaging_product": "whatsapp", "to": "33612345678", "type": "text",
        "text": {"body": "héllo / ok"}}  # fmt: skip


PHONE = "106540352242922"
TOKEN = "EAAtoken123"


@pytest.fixture(scope="module")
def graph() -> Iterator[tuple[str, GraphApp]]:
    """The shipped fake Graph API (429 for rate limits) on a real socket, its answers gzipped
    for clients that accept it (as Graph does, and aiohttp asks by default)."""
    app = create_graph_app(
        GraphConfig(grants=[TokenGrant(PHONE, "wa", TOKEN)], rate_limit_status=429)
    )
    with ServerThread(GZipMiddleware(app.asgi, minimum_size=0)) as url:
        yield f"{url}/v25.0", app


async def _with_client(timeout: float, use: Callable[[GraphClient], Awaitable[T]]) -> T:
    """``use`` a Graph client over a fresh aiohttp transport, closed afterwards."""
    client = GraphClient(AiohttpTransport(), timeout=timeout)
    try:
        return await use(client)
    finally:
        await client.aclose()


async def test_a_send_carries_the_token_and_json_and_returns_graphs_answer(graph) -> None:
    base, fake = graph
    answer = await _with_client(5, lambda c: c.send(f"{base}/{PHONE}/messages", SEND, TOKEN))
    # 200 only with the granted token in the Authorization header and a valid JSON send
    assert answer.ok and answer.body["messages"][0]["id"].startswith("wamid.")
    call = fake.recorder.last
    assert call.method == "POST" and call.status == 200 and call.kind == "send"
    assert call.headers["content-type"] == "application/json"
    assert call.body == SEND  # UTF-8 JSON, the text unchanged


async def test_a_gzip_answer_is_decoded_once(graph) -> None:
    base, fake = graph
    info = await _with_client(5, lambda c: c.media(base, "1234", TOKEN))
    call = fake.recorder.last  # it asked for gzip: the answer came compressed (GZipMiddleware)
    assert call.kind == "media_get" and "gzip" in call.headers["accept-encoding"]
    assert info["id"] == "1234" and info["url"].startswith("http")


async def test_retry_after_and_the_graph_error_come_through(graph) -> None:
    base, fake = graph
    fake.faults.error(130429, retry_after=7, times=1)
    answer = await _with_client(5, lambda c: c.send(f"{base}/{PHONE}/messages", SEND, TOKEN))
    assert answer.status == 429 and answer.retry_after == 7.0
    assert answer.body["error"]["code"] == 130429


async def test_nothing_listening_is_a_connect_failure() -> None:
    answer = await _with_client(
        2, lambda c: c.send(f"http://127.0.0.1:{free_port()}/v25.0/1/messages", SEND, "t")
    )
    assert answer.status == 0 and answer.transport == "connect"


async def test_a_graph_slower_than_the_timeout_is_a_timeout(graph) -> None:
    base, fake = graph
    fake.faults.latency(2, times=1)
    started = time.monotonic()
    answer = await _with_client(0.3, lambda c: c.send(f"{base}/{PHONE}/messages", SEND, TOKEN))
    assert answer.status == 0 and answer.transport == "ambiguous"  # it left: maybe accepted
    assert time.monotonic() - started < 1.5  # cut at the timeout, not at the 2 s answer
