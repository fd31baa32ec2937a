"""Ambiguous sends: Graph may have accepted a send whose answer never came back.

The policy: a failure before the request left (refused, DNS, connect timeout) is retried; a
failure after it left (read timeout, reset, closed) is dead-lettered as ``ambiguous``, never
re-sent by the worker or the DLQ schedule, only by an operator's forced replay.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator

import httpx
import pytest

from metasim.gateway.outbound.aiohttp_transport import AiohttpTransport
from metasim.gateway.outbound.graph_client import GraphClient
from metasim.gateway.outbound.worker import OutboxWorker
from metasim.simulator.graph import GraphApp, GraphConfig, create_graph_app
from metasim.simulator.graph.server import ServerThread
from metasim.simulator.graph.tokens import TokenGrant
from metasim.simulator.net import free_port
from tests.gateway.outbound.conftest import PHONE_ID, TOKEN, Clock, RuntimeFactory, reply

pytestmark = pytest.mark.anyio


def fake_graph() -> GraphApp:
    """The project's fake Graph API, knowing the outbound tests' token."""
    app = create_graph_app(GraphConfig(seed=3))
    app.tokens.register(TokenGrant(tenant_id=PHONE_ID, channel="wa", token=TOKEN))
    return app


def accepted_sends(app: GraphApp) -> list[str]:
    """The texts the fake accepted (status 200), whether or not the client heard the answer."""
    return [c.body["text"]["body"] for c in app.recorder.calls(kind="send") if c.status == 200]


async def test_an_answer_lost_after_graph_accepted_is_dead_lettered_not_resent(
    make_runtime: RuntimeFactory, clock: Clock
) -> None:
    graph = fake_graph()
    graph.faults.lost_answer(times=1)
    rt = make_runtime()
    rt.graph = GraphClient(httpx.ASGITransport(app=graph.asgi), timeout=5)
    await rt.store.outbox_put(reply("wa:wamid.LOST", clock.now, text="only once"))
    worker = OutboxWorker(rt)
    assert await worker.run_once() == 1
    [dead] = await rt.store.dlq_list()
    assert dead.item.key == "wa:wamid.LOST"
    assert dead.reason == "ambiguous" and dead.replayable is False
    # neither the worker nor the DLQ schedule sends it again
    clock.now += 3600
    assert await worker.run_once() == 0
    assert await rt.store.dlq_replay(None, clock.now) == []
    assert accepted_sends(graph) == ["only once"]
    # an operator who checked the conversation can still force it out
    assert await rt.store.dlq_replay(["wa:wamid.LOST"], clock.now, force=True) == ["wa:wamid.LOST"]
    assert await worker.run_once() == 1
    assert accepted_sends(graph) == ["only once", "only once"]


class Failing(httpx.AsyncBaseTransport):
    """A transport failing every request with one httpx error."""

    def __init__(self, error: type[httpx.TransportError]) -> None:
        self.error = error

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise self.error("test failure", request=request)


@pytest.mark.parametrize(
    "error", [httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.WriteError]
)
async def test_a_request_that_never_left_is_retried(
    make_runtime: RuntimeFactory, clock: Clock, error: type[httpx.TransportError]
) -> None:
    rt = make_runtime()
    rt.graph = GraphClient(Failing(error), timeout=1)
    await rt.store.outbox_put(reply("wa:wamid.NL", clock.now))
    assert await OutboxWorker(rt).run_once() == 1
    item = await rt.store.outbox_get("wa:wamid.NL")
    assert item is not None and item.state == "pending"
    assert await rt.store.dlq_depth() == 0


@pytest.mark.parametrize(
    "error", [httpx.ReadTimeout, httpx.ReadError, httpx.RemoteProtocolError, httpx.TransportError]
)
async def test_a_request_that_left_without_an_answer_is_ambiguous(
    make_runtime: RuntimeFactory, clock: Clock, error: type[httpx.TransportError]
) -> None:
    rt = make_runtime()
    rt.graph = GraphClient(Failing(error), timeout=1)
    await rt.store.outbox_put(reply("wa:wamid.AM", clock.now))
    assert await OutboxWorker(rt).run_once() == 1
    [dead] = await rt.store.dlq_list()
    assert (dead.item.key, dead.reason, dead.replayable) == ("wa:wamid.AM", "ambiguous", False)


@pytest.fixture(scope="module")
def served_graph() -> Iterator[tuple[GraphApp, str]]:
    """The fake Graph API on a real socket, so a reset is a real TCP RST."""
    app = fake_graph()
    server = ServerThread(app, free_port())
    url = server.start()
    try:
        yield app, url
    finally:
        server.stop()


async def test_over_real_tcp_a_reset_after_acceptance_is_ambiguous(
    served_graph: tuple[GraphApp, str],
) -> None:
    app, url = served_graph
    app.faults.clear()
    app.faults.lost_answer(times=1)
    client = GraphClient(AiohttpTransport(), timeout=5)
    try:
        body = reply("wa:x", 0.0, text="over tcp").body
        answer = await client.send(f"{url}/v25.0/{PHONE_ID}/messages", body, TOKEN)
    finally:
        await client.aclose()
    assert answer.status == 0 and answer.transport == "ambiguous"
    assert "over tcp" in accepted_sends(app)


async def test_over_real_tcp_a_held_answer_times_out_as_ambiguous(
    served_graph: tuple[GraphApp, str],
) -> None:
    app, url = served_graph
    app.faults.clear()
    app.faults.lost_answer(lose_as="no_answer", hold=5, times=1)
    client = GraphClient(AiohttpTransport(), timeout=0.5)
    try:
        body = reply("wa:y", 0.0, text="held").body
        answer = await client.send(f"{url}/v25.0/{PHONE_ID}/messages", body, TOKEN)
    finally:
        await client.aclose()
        await asyncio.sleep(0)
    assert answer.status == 0 and answer.transport == "ambiguous"
    assert "held" in accepted_sends(app)


@pytest.fixture
def unanswered_syn() -> Iterator[str]:
    """A port whose connect hangs: a listener that never accepts, its backlog already full,
    so the kernel drops further SYNs (what a firewall black-holing Graph looks like)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    fillers = []
    for _ in range(8):
        c = socket.socket()
        c.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            c.connect(("127.0.0.1", port))
        fillers.append(c)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        for c in fillers:
            c.close()
        server.close()


async def test_over_real_tcp_a_connect_that_hangs_is_retried_not_ambiguous(
    unanswered_syn: str,
) -> None:
    """The request never left: the connect timer must fire before the whole-exchange one,
    or a black-holed Graph would dead-letter every send instead of retrying it."""
    client = GraphClient(AiohttpTransport(), timeout=0.5)
    try:
        body = reply("wa:z", 0.0).body
        answer = await client.send(f"{unanswered_syn}/v25.0/{PHONE_ID}/messages", body, TOKEN)
    finally:
        await client.aclose()
    assert answer.status == 0 and answer.transport == "connect"
