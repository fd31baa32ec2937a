"""The worker process supervisor: restarts a child that dies or hangs, never leaves one behind."""

from __future__ import annotations

import asyncio
import sys

import psutil
import pytest

from metasim.gateway.split import supervisor as sup
from metasim.steps.poll import eventually_async
from tests.gateway.conftest import make_runtime

pytestmark = pytest.mark.anyio
# stands in for `python -m gateway.split.child FD PARENT_PID`: alive, but never beats
SILENT_CHILD = [sys.executable, "-c", "import time; time.sleep(60)"]


async def test_a_silent_child_is_killed_and_started_again(monkeypatch, logs) -> None:
    monkeypatch.setattr(sup, "HUNG_SECONDS", 1.0)
    monkeypatch.setattr(sup, "RESTART_DELAY_SECONDS", 0.1)
    supervisor = sup.Supervisor(make_runtime(), argv=SILENT_CHILD)
    stop = asyncio.Event()
    task = asyncio.create_task(supervisor.run(stop))
    try:
        assert await eventually_async(lambda: supervisor.pid is not None, bool, timeout=5)
        first = supervisor.pid
        assert await eventually_async(
            lambda: supervisor.pid not in (None, first), bool, timeout=8
        ), "not restarted"
        assert not psutil.pid_exists(first) or psutil.Process(first).status() == "zombie"
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)
    last = supervisor.pid
    assert not psutil.pid_exists(last) or psutil.Process(last).status() == "zombie"
    assert any("silent" in line["msg"] for line in logs.lines if line["level"] == "ERROR")


async def test_a_child_that_cannot_start_is_retried_not_given_up(monkeypatch, logs) -> None:
    monkeypatch.setattr(sup, "RESTART_DELAY_SECONDS", 0.05)
    supervisor = sup.Supervisor(make_runtime(), argv=["/nonexistent/python-for-this-test"])
    stop = asyncio.Event()
    task = asyncio.create_task(supervisor.run(stop))
    try:
        failures = lambda: sum("failed to start" in x["msg"] for x in logs.lines)  # noqa: E731
        assert await eventually_async(lambda: failures() >= 2, bool, timeout=5), (
            "the supervisor stopped trying"
        )
        assert not task.done()
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)


async def test_a_crashing_child_does_not_hold_the_http_process_closed(monkeypatch, logs) -> None:
    """The app listens once the first child beats, or as soon as it dies: never 30 s later."""
    monkeypatch.setattr(sup, "RESTART_DELAY_SECONDS", 0.05)
    crashing = [sys.executable, "-c", "raise SystemExit(3)"]
    supervisor = sup.Supervisor(make_runtime(), argv=crashing)
    stop = asyncio.Event()
    task = asyncio.create_task(supervisor.run(stop))
    try:
        await asyncio.wait_for(supervisor.started(timeout=30), 10)
        assert any("not up yet" in x["msg"] for x in logs.lines if x["level"] == "ERROR")
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
