"""DlqScheduler: cron times and scheduled replay of what is replayable only."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime

import pytest

from metasim.gateway.outbound.dlq_scheduler import DlqScheduler
from metasim.gateway.outbound.worker import OutboxWorker
from tests.gateway.outbound.conftest import (
    Clock,
    FakeGraph,
    RuntimeFactory,
    graph_error,
    lines,
    reply,
)

pytestmark = pytest.mark.anyio


def ts(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


async def test_next_fire_follows_the_cron_expression(make_runtime: RuntimeFactory) -> None:
    sched = DlqScheduler.from_runtime(make_runtime(dlq_cron="*/5 * * * *"))
    assert sched.next_fire(ts("2026-03-01T10:02:30")) == ts("2026-03-01T10:05:00")
    assert sched.next_fire(ts("2026-03-01T10:05:00")) == ts("2026-03-01T10:10:00")
    nightly = DlqScheduler.from_runtime(make_runtime(dlq_cron="30 2 * * *"))
    assert nightly.next_fire(ts("2026-03-01T10:00:00")) == ts("2026-03-02T02:30:00")


async def test_tick_replays_retryable_dead_letters_and_they_get_sent(
    make_runtime: RuntimeFactory, graph: FakeGraph, clock: Clock, logs: io.StringIO
) -> None:
    rt = make_runtime(outbox_max_attempts=1)
    graph.then(503, graph_error(2)).then(400, graph_error(131047))
    await rt.store.outbox_put(reply("wa:wamid.OUTAGE", clock.now))
    await rt.store.outbox_put(reply("wa:wamid.WINDOW", clock.now + 0.001))
    worker = OutboxWorker(rt, batch=1)
    await worker.run_once()
    clock.now += 0.01
    await worker.run_once()
    assert await rt.store.dlq_depth() == 2
    clock.now += 300
    replayed = await DlqScheduler.from_runtime(rt).tick(clock.now)
    assert replayed == ["wa:wamid.OUTAGE"]  # 131047 (24 h window) is permanent: stays
    assert await worker.run_once() == 1
    sent = await rt.store.outbox_get("wa:wamid.OUTAGE")
    assert sent is not None and sent.state == "sent"
    [left] = await rt.store.dlq_list()
    assert left.item.key == "wa:wamid.WINDOW"
    replay_lines = [x for x in lines(logs, "dlq") if x.get("by") == "schedule"]
    assert replay_lines[0]["correlation_id"] == "corr-wa:wamid.OUTAGE"
    assert rt.metrics.value("outbound_total", {"channel": "wa", "outcome": "replayed"}) == 1


async def test_run_ticks_on_schedule_until_stopped(
    make_runtime: RuntimeFactory, clock: Clock
) -> None:
    rt = make_runtime(dlq_cron="* * * * *")
    sched = DlqScheduler.from_runtime(rt)
    ticks: list[float] = []

    async def fake_tick(now: float) -> list[str]:
        ticks.append(now)
        return []

    sched.tick = fake_tick  # type: ignore[method-assign]
    # one second before a minute boundary on the store's clock: the first tick is 1 s away
    clock.now = ts("2026-03-01T10:00:59")
    stop = asyncio.Event()
    task = asyncio.create_task(sched.run(stop))
    await asyncio.sleep(1.3)
    stop.set()
    await asyncio.wait_for(task, 2)
    assert len(ticks) == 1
