"""OutboxWorker.run: sends overlap up to OUTBOX_CONCURRENCY, yet every key is sent exactly once."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from metasim.gateway.observability.metrics import Metrics
from metasim.gateway.outbound.graph_client import GraphClient
from metasim.gateway.outbound.worker import OutboxWorker
from metasim.gateway.runtime import Runtime
from metasim.gateway.settings import Settings
from metasim.gateway.store.base import Store
from metasim.gateway.tenants import Tenants
from tests.gateway.outbound.conftest import CLIENTS, WA_OK, Clock, reply

pytestmark = pytest.mark.anyio


class SlowGraph:
    """Answers every send after a short pause; counts sends per text and the peak in flight.

    Test-only, kept beside the shipped fake on purpose: the property here is how many sends
    overlap, and the shipped fake cannot tell it. Its latency fault delays answers alike, but
    its recorder keeps when each call arrived, not when it was answered, so the peak number
    of sends in flight (8 < peak <= 16) cannot be read from it.
    """

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.inflight = 0
        self.peak = 0

    async def handle(self, request: Request) -> Response:
        self.inflight += 1
        self.peak = max(self.peak, self.inflight)
        try:
            await asyncio.sleep(0.02)  # a Graph round trip: the time concurrency overlaps
            self.texts.append(json.loads(await request.body())["text"]["body"])
            return JSONResponse(WA_OK)
        finally:
            self.inflight -= 1


def runtime(
    store: Store, clock: Clock, http: httpx.AsyncBaseTransport, concurrency: int
) -> Runtime:
    settings: dict[str, Any] = {"outbox_concurrency": concurrency, "worker_poll_seconds": 0.01}
    return Runtime(
        settings=Settings(**settings, admin_token="admin-secret-token-1234"),
        store=store,
        metrics=Metrics(),
        tenants=Tenants.from_dict(CLIENTS),
        graph=GraphClient(http, timeout=5),
        clock=clock,
    )


async def test_two_workers_overlap_sends_and_send_each_key_once(store: Store, clock: Clock) -> None:
    graph = SlowGraph()
    app = Starlette(routes=[Route("/{path:path}", graph.handle, methods=["POST"])])
    async with httpx.ASGITransport(app=app) as http:
        # two workers (two processes sharing one store) race for the same 60 due replies
        rts = [runtime(store, clock, http, concurrency=8) for _ in range(2)]
        keys = [f"wa:wamid.C{i:03d}" for i in range(60)]
        for i, key in enumerate(keys):
            await store.outbox_put(reply(key, clock.now, text=f"reply {i}"))
        stop = asyncio.Event()
        workers = [asyncio.create_task(OutboxWorker(rt).run(stop)) for rt in rts]
        for _ in range(500):
            items = [await store.outbox_get(k) for k in keys]
            if all(it is not None and it.state == "sent" for it in items):
                break
            await asyncio.sleep(0.01)
        stop.set()
        await asyncio.wait_for(asyncio.gather(*workers), 10)
    assert sorted(graph.texts) == sorted(f"reply {i}" for i in range(60))  # each exactly once
    states = [(await store.outbox_get(k)) for k in keys]
    assert all(it is not None and it.state == "sent" for it in states)
    # sends really overlapped, and never beyond 8 per worker
    assert 8 < graph.peak <= 16
    sent = sum(
        rt.metrics.value("outbound_total", {"channel": "wa", "outcome": "sent"}) for rt in rts
    )
    assert sent == 60


async def test_stop_waits_for_the_sends_in_flight(store: Store, clock: Clock) -> None:
    graph = SlowGraph()
    app = Starlette(routes=[Route("/{path:path}", graph.handle, methods=["POST"])])
    async with httpx.ASGITransport(app=app) as http:
        rt = runtime(store, clock, http, concurrency=4)
        for i in range(4):
            await store.outbox_put(reply(f"wa:wamid.S{i}", clock.now, text=f"stop {i}"))
        stop = asyncio.Event()
        task = asyncio.create_task(OutboxWorker(rt).run(stop))
        while graph.inflight < 4:  # all four claimed and on the wire
            await asyncio.sleep(0.001)
        stop.set()
        await asyncio.wait_for(task, 10)
    # a claimed item is owned: stopping finishes its send and records it, never strands it
    assert sorted(graph.texts) == [f"stop {i}" for i in range(4)]
    for i in range(4):
        item = await store.outbox_get(f"wa:wamid.S{i}")
        assert item is not None and item.state == "sent"
