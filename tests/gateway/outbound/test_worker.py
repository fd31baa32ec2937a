"""OutboxWorker: retries, Retry-After, permanent errors, max attempts, crash recovery, races."""

from __future__ import annotations

import asyncio
import io
from dataclasses import replace

import httpx
import pytest

from metasim.gateway.outbound.graph_client import GraphClient
from metasim.gateway.outbound.worker import OutboxWorker
from metasim.simulator.net import free_port
from tests.gateway.outbound.conftest import (
    TOKEN,
    Clock,
    FakeGraph,
    RuntimeFactory,
    graph_error,
    lines,
    reply,
)

pytestmark = pytest.mark.anyio


async def test_retryable_error_is_retried_then_sent(
    make_runtime: RuntimeFactory, graph: FakeGraph, clock: Clock, logs: io.StringIO
) -> None:
    rt = make_runtime()
    graph.then(503, graph_error(2))
    await rt.store.outbox_put(reply("wa:wamid.A", clock.now))
    worker = OutboxWorker(rt)
    assert await worker.run_once() == 1
    item = await rt.store.outbox_get("wa:wamid.A")
    assert item is not None and item.state == "pending" and "graph-2" in (item.last_error or "")
    # full jitter on base 1 s: the retry is due within one second, not before now
    assert clock.now <= item.next_attempt_at <= clock.now + 1.0
    clock.now += 1.0
    assert await worker.run_once() == 1
    sent = await rt.store.outbox_get("wa:wamid.A")
    assert sent is not None and sent.state == "sent"
    assert len(graph.calls) == 2
    assert graph.calls[1]["auth"] == f"Bearer {TOKEN}"
    assert graph.calls[1]["path"] == "/v25.0/106540352242922/messages"
    assert rt.metrics.value("outbound_total", {"channel": "wa", "outcome": "retry"}) == 1
    assert rt.metrics.value("outbound_total", {"channel": "wa", "outcome": "sent"}) == 1
    assert rt.metrics.value("e2e_latency_seconds_count", {"channel": "wa"}) == 1
    sends = lines(logs, "send")
    assert [x["outcome"] for x in sends] == ["retry", "sent"]
    assert {x["correlation_id"] for x in sends} == {"corr-wa:wamid.A"}
    assert all(x["msg_id"] == "wamid.A" and x["channel"] == "wa" for x in sends)
    assert TOKEN not in logs.getvalue()


async def test_retry_after_is_honoured(
    make_runtime: RuntimeFactory, graph: FakeGraph, clock: Clock
) -> None:
    rt = make_runtime()
    graph.then(400, graph_error(130429), **{"Retry-After": "30"})
    await rt.store.outbox_put(reply("wa:wamid.RA", clock.now))
    worker = OutboxWorker(rt)
    await worker.run_once()
    item = await rt.store.outbox_get("wa:wamid.RA")
    assert item is not None and item.next_attempt_at >= clock.now + 30
    clock.now += 29.5
    assert await worker.run_once() == 0  # not before Retry-After
    clock.now += 0.6
    assert await worker.run_once() == 1
    assert len(graph.calls) == 2


async def test_permanent_error_goes_straight_to_the_dlq(
    make_runtime: RuntimeFactory, graph: FakeGraph, clock: Clock, logs: io.StringIO
) -> None:
    rt = make_runtime()
    graph.then(400, graph_error(131026))
    await rt.store.outbox_put(reply("wa:wamid.P", clock.now))
    assert await OutboxWorker(rt).run_once() == 1
    [dead] = await rt.store.dlq_list()
    assert dead.item.key == "wa:wamid.P" and dead.reason == "graph-131026"
    assert dead.replayable is False and "131026" in (dead.item.last_error or "")
    assert len(graph.calls) == 1
    [dlq_line] = lines(logs, "dlq")
    assert dlq_line["correlation_id"] == "corr-wa:wamid.P" and dlq_line["reason"] == "graph-131026"
    assert rt.metrics.value("outbound_total", {"channel": "wa", "outcome": "dead"}) == 1


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (401, graph_error(190)),
        (403, graph_error(10, 2018278)),
        (400, graph_error(100, 2018001)),
        (400, graph_error(551)),
        (400, graph_error(132001)),
        (400, {"error": {"message": "bad"}}),
    ],
)
async def test_other_permanent_answers_are_not_retried(
    make_runtime: RuntimeFactory, graph: FakeGraph, clock: Clock, status: int, body: dict
) -> None:
    rt = make_runtime()
    graph.then(status, body)
    await rt.store.outbox_put(reply("wa:wamid.X", clock.now))
    await OutboxWorker(rt).run_once()
    assert await rt.store.dlq_depth() == 1 and len(graph.calls) == 1


async def test_dead_lettered_after_max_attempts_as_replayable(
    make_runtime: RuntimeFactory, graph: FakeGraph, clock: Clock
) -> None:
    rt = make_runtime(outbox_max_attempts=3, outbox_backoff_max_seconds=2.0)
    for _ in range(3):
        graph.then(503, graph_error(131016))
    await rt.store.outbox_put(reply("wa:wamid.M", clock.now))
    worker = OutboxWorker(rt)
    for _ in range(3):
        assert await worker.run_once() == 1
        clock.now += 2.0  # the cap: every retry is due by then
    [dead] = await rt.store.dlq_list()
    assert dead.reason == "max-attempts: graph-131016" and dead.replayable is True
    assert dead.item.attempts == 3 and len(graph.calls) == 3
    assert await worker.run_once() == 0


async def test_code_1_is_retried_once_only(
    make_runtime: RuntimeFactory, graph: FakeGraph, clock: Clock
) -> None:
    rt = make_runtime()
    graph.then(400, graph_error(1)).then(400, graph_error(1))
    await rt.store.outbox_put(reply("wa:wamid.U", clock.now))
    worker = OutboxWorker(rt)
    await worker.run_once()
    clock.now += 1.0
    await worker.run_once()
    [dead] = await rt.store.dlq_list()
    assert dead.reason == "graph-1" and len(graph.calls) == 2


async def test_unreachable_graph_is_retried(make_runtime: RuntimeFactory, clock: Clock) -> None:
    rt = make_runtime()
    # nothing listens on this port: a connection error, retryable
    unreachable = replace(reply("wa:wamid.T", clock.now), url=f"http://127.0.0.1:{free_port()}/m")
    await rt.store.outbox_put(unreachable)
    async with httpx.AsyncHTTPTransport() as http:
        rt.graph = GraphClient(http, timeout=1)
        assert await OutboxWorker(rt).run_once() == 1
    item = await rt.store.outbox_get("wa:wamid.T")
    assert item is not None and item.state == "pending" and "connect" in (item.last_error or "")


async def test_inflight_at_crash_is_dead_lettered_not_resent(
    make_runtime: RuntimeFactory, graph: FakeGraph, clock: Clock, logs: io.StringIO
) -> None:
    rt = make_runtime(graph_timeout_seconds=2.0)
    await rt.store.outbox_put(reply("wa:wamid.C", clock.now))
    # a previous process claimed it and died mid-send
    await rt.store.outbox_claim_due(clock.now, 10, 7.0)
    clock.now += 8.0
    stop = asyncio.Event()
    worker = OutboxWorker(rt)
    task = asyncio.create_task(worker.run(stop))
    for _ in range(100):
        if await rt.store.dlq_depth():
            break
        await asyncio.sleep(0.01)
    stop.set()
    await task
    [dead] = await rt.store.dlq_list()
    assert dead.reason == "inflight-at-crash" and dead.replayable is False
    assert graph.calls == []
    assert lines(logs, "dlq")[0]["correlation_id"] == "corr-wa:wamid.C"


async def test_two_racing_workers_send_each_key_exactly_once(
    make_runtime: RuntimeFactory, graph: FakeGraph, clock: Clock
) -> None:
    rt_a, rt_b = make_runtime(), make_runtime()  # two workers, two Graph clients, one store
    keys = [f"wa:wamid.R{n}" for n in range(40)]
    for key in keys:
        await rt_a.store.outbox_put(reply(key, clock.now, text=key))
    a, b = OutboxWorker(rt_a, batch=3), OutboxWorker(rt_b, batch=3)

    async def drain(worker: OutboxWorker) -> int:
        total = 0
        while n := await worker.run_once():
            total += n
            await asyncio.sleep(0)
        return total

    done_a, done_b = await asyncio.gather(drain(a), drain(b))
    assert done_a + done_b == 40
    sent_texts = [c["body"]["text"]["body"] for c in graph.calls]
    assert sorted(sent_texts) == sorted(keys)  # each once, none twice


async def test_unknown_client_is_dead_lettered_without_a_send(
    make_runtime: RuntimeFactory, graph: FakeGraph, clock: Clock
) -> None:
    rt = make_runtime()
    item = reply("wa:wamid.N", clock.now)
    item.client_id = "gone"
    await rt.store.outbox_put(item)
    await OutboxWorker(rt).run_once()
    [dead] = await rt.store.dlq_list()
    assert dead.reason == "client-unknown" and graph.calls == []
