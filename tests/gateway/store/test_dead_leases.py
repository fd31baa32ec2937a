"""Leases held by a dead process: SQLite releases them at startup, Redis waits for expiry."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from metasim.gateway.store import open_store
from metasim.gateway.store.base import InboxEvent, OutboxItem
from tests.gateway.store.conftest import Clock

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[3]

# a separate process claims one inbox event and one outbox item (30 s leases), says "claimed"
# and then sleeps until the test kills it
HOLDER = """
import asyncio, sys, time
from metasim.gateway.store import open_store
async def main():
    s = open_store(sys.argv[1])
    got = await s.inbox_claim("holder", 10, 30.0)
    due = await s.outbox_claim_due(time.time(), 10, 30.0)
    print("claimed", len(got), len(due), flush=True)
asyncio.run(main())
time.sleep(120)
"""


def holder(url: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, url], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().split() == ["claimed", "1", "1"]
    return proc


async def seed(url: str) -> None:
    s = open_store(url)
    now = time.time()
    await s.inbox_put(InboxEvent("ev-1", "wa", b"{}", now, "cid-1"))
    item = OutboxItem("wa:wamid.1", "wa", "acme", "http://graph/x", {"a": 1}, "cid-1", "wamid.1")
    assert await s.outbox_put(item)
    await s.close()


def kill(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)


async def test_sqlite_releases_the_leases_of_a_killed_process_at_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'gateway.db'}"
    await seed(url)
    proc = holder(url)
    kill(proc)
    s = open_store(url)
    try:
        assert await s.inbox_claim("fresh", 10, 30.0) == [], "the dead holder's lease still runs"
        assert await s.release_dead_leases() == 2
        again = await s.inbox_claim("fresh", 10, 30.0)
        assert [e.event_id for e in again] == ["ev-1"]
        assert again[0].attempts == 2  # seen as a redelivery by the pipeline
        # the send may have left before the kill: dead-lettered, never re-sent blindly
        recovered = await s.outbox_recover(time.time())
        assert [i.key for i in recovered] == ["wa:wamid.1"]
        assert [d.reason for d in await s.dlq_list()] == ["inflight-at-crash"]
        assert await s.release_dead_leases() == 0
    finally:
        await s.close()


async def test_sqlite_keeps_the_leases_of_a_live_process(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'gateway.db'}"
    await seed(url)
    proc = holder(url)
    s = open_store(url)
    try:
        assert await s.release_dead_leases() == 0
        assert await s.inbox_claim("fresh", 10, 30.0) == []
        assert await s.outbox_recover(time.time()) == []
    finally:
        kill(proc)
        await s.close()


async def test_sqlite_keeps_its_own_leases(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'gateway.db'}"
    await seed(url)
    s = open_store(url)
    try:
        assert len(await s.inbox_claim("me", 10, 30.0)) == 1
        assert await s.release_dead_leases() == 0
        assert await s.inbox_claim("me-again", 10, 30.0) == []
    finally:
        await s.close()


async def test_redis_leases_end_only_by_time(redis_url: str, clock: Clock) -> None:
    url = f"{redis_url}?prefix=deadlease{time.monotonic_ns()}"
    s = open_store(url, clock=clock)
    try:
        await s.inbox_put(InboxEvent("ev-1", "wa", b"{}", clock.now, "cid-1"))
        assert len(await s.inbox_claim("other-host", 10, 30.0)) == 1
        # the holder may be a live process on another host: nothing is released
        assert await s.release_dead_leases() == 0
        assert await s.inbox_claim("fresh", 10, 30.0) == []
        clock.now += 31
        assert [e.event_id for e in await s.inbox_claim("fresh", 10, 30.0)] == ["ev-1"]
    finally:
        await s.close()
