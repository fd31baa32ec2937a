"""The stage runner: one loop for both lanes, stages as objects with one signature."""

from __future__ import annotations

from typing import Any

import pytest

from metasim.gateway.observability.metrics import Metrics
from metasim.gateway.parsers import parse
from metasim.gateway.pipeline import INGRESS, PROCESS, STAGE_NAMES
from metasim.gateway.pipeline.base import Fields, Ingress, Job, Reject, Stop
from metasim.gateway.pipeline.build import ingress_runner, process_runner
from metasim.gateway.pipeline.lanes import IngressLane, ProcessLane
from metasim.gateway.pipeline.quarantine import Quarantine
from metasim.gateway.pipeline.runner import Runner
from metasim.gateway.store.base import InboxEvent
from metasim.simulator import catalogue
from metasim.simulator.context import BuildContext
from tests.gateway.conftest import make_runtime, meta_bytes

pytestmark = pytest.mark.anyio
NOW = 1767264532.0


class Recording:
    """A stage that notes its call, then returns, raises, or changes the context."""

    def __init__(self, name: str, calls: list[str], raises: Exception | None = None) -> None:
        self.name = name
        self.calls = calls
        self.raises = raises

    async def __call__(self, ctx: Any) -> Fields:
        self.calls.append(self.name)
        if self.raises is not None:
            raise self.raises
        return {"seen": self.name}


class CountingLane:
    """A lane that records what the runner told it."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []

    def check(self, ctx: Any) -> None:
        self.events.append(("check", ""))

    def passed(self, ctx: Any, stage: str, fields: Fields) -> None:
        self.events.append(("passed", stage))

    async def stopped(self, ctx: Any, stage: str, exc: Exception) -> str:
        self.events.append(("stopped", f"{stage}: {exc}"))
        return "stopped"

    def finished(self, ctx: Any) -> str:
        self.events.append(("finished", ""))
        return "finished"


async def test_the_runner_calls_every_stage_in_order_with_a_check_before_each() -> None:
    calls: list[str] = []
    lane = CountingLane()
    runner = Runner([Recording(n, calls) for n in ("a", "b", "c")], lane)
    assert runner.names == ("a", "b", "c")
    assert await runner(object()) == "finished"
    assert calls == ["a", "b", "c"]
    assert lane.events == [
        ("check", ""), ("passed", "a"), ("check", ""), ("passed", "b"),
        ("check", ""), ("passed", "c"), ("finished", ""),
    ]  # fmt: skip


async def test_a_stage_that_raises_ends_the_run_through_the_lane() -> None:
    calls: list[str] = []
    lane = CountingLane()
    stages = [
        Recording("a", calls),
        Recording("b", calls, Stop("x", "nope")),
        Recording("c", calls),
    ]
    assert await Runner(stages, lane)(object()) == "stopped"
    assert calls == ["a", "b"]  # c never runs
    assert lane.events[-1] == ("stopped", "b: nope")


def test_the_built_runners_follow_the_one_ordered_list() -> None:
    rt = make_runtime()
    assert ingress_runner(rt).names == INGRESS
    assert process_runner(rt).names == PROCESS
    assert STAGE_NAMES == INGRESS + PROCESS
    # sending is the outbox worker's job, not a stage
    assert "send" not in STAGE_NAMES and "dlq" not in STAGE_NAMES


async def test_the_ingress_lane_answers_a_reject_and_lets_a_bug_through() -> None:
    metrics = Metrics()
    reject = Reject(400, "bad_json", "body is not JSON")
    ctx = Ingress("wa", b"{", {}, "cid", NOW)
    runner = Runner([Recording("parse", [], reject)], IngressLane(metrics))
    assert await runner(ctx) is reject
    assert metrics.value("inbound_total", {"channel": "wa", "outcome": "rejected"}) == 1
    buggy = Runner([Recording("parse", [], KeyError("bug"))], IngressLane(metrics))
    with pytest.raises(KeyError):
        await buggy(ctx)


def _job(seed: int = 1) -> Job:
    payload = catalogue.build("wa.text", BuildContext.seeded(seed, now=NOW))
    event = InboxEvent("ev", "wa", meta_bytes(payload), NOW, "cid-runner", attempts=1)
    (update,) = parse("wa", payload, received_at=NOW, correlation_id="cid-runner")
    return Job(event, update, update.envelope)


async def test_the_process_lane_quarantines_a_crash_and_a_broken_seal() -> None:
    store = make_runtime().store  # a fresh SQLite store
    metrics = Metrics()
    lane = ProcessLane(metrics, Quarantine(store, lambda: NOW), b"k" * 32)  # type: ignore[arg-type]
    crash = Runner([Recording("core", [], RuntimeError("boom"))], lane)
    assert await crash(_job()) == "quarantined"
    job = _job(2)
    job.seal = "not-the-seal"  # the lane checks it before the next stage runs
    calls: list[str] = []
    assert await Runner([Recording("dedupe", calls)], lane)(job) == "quarantined"
    assert calls == []
    reasons = [q.reason for q in await store.quarantine_list()]
    assert sorted(reasons) == ["crash", "seal-broken"]
    assert metrics.value("errors_total", {"channel": "wa", "kind": "crash"}) == 1


async def test_stages_get_only_their_parts_not_the_runtime() -> None:
    rt = make_runtime()
    for stage in (*ingress_runner(rt).stages, *process_runner(rt).stages):
        assert rt not in vars(stage).values(), stage.name
