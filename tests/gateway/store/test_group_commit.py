"""SQLite group commit: writes of one loop turn share a transaction, return once committed, fail alone or all."""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
import time
from pathlib import Path

import pytest

from metasim.gateway.store.base import InboxEvent, OutboxItem
from metasim.gateway.store.group_commit import GroupCommit
from metasim.gateway.store.sqlite import SqliteStore

pytestmark = pytest.mark.anyio


def event(n: int) -> InboxEvent:
    return InboxEvent(f"ev-{n}", "wa", b'{"n": %d}' % n, 1_750_000_000.0 + n, f"cid-{n}")


def committed(db: Path) -> set[str]:
    """Event ids another connection sees: only what is committed."""
    con = sqlite3.connect(db)
    try:
        return {r[0] for r in con.execute("SELECT event_id FROM inbox")}
    finally:
        con.close()


async def test_each_put_is_visible_to_another_connection_when_it_returns(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    store = SqliteStore(str(db))
    seen_at_return: dict[str, bool] = {}

    async def put(n: int) -> None:
        await store.inbox_put(event(n))
        seen_at_return[f"ev-{n}"] = f"ev-{n}" in committed(db)

    try:
        await asyncio.gather(*(put(n) for n in range(50)))
        await store.inbox_put(event(99))  # a lone put, after the burst
        assert all(seen_at_return.values()) and len(seen_at_return) == 50
        assert committed(db) == {f"ev-{n}" for n in [*range(50), 99]}
    finally:
        await store.close()


async def test_a_lock_held_elsewhere_delays_the_commit_without_blocking_the_loop(
    tmp_path: Path,
) -> None:
    """The worker process (or a backup) holds the write lock for a moment: the puts wait for
    it on a timer, and the event loop keeps running (no ACK stalls in SQLite's busy sleep)."""
    db = tmp_path / "gateway.db"
    store = SqliteStore(str(db))
    blocker = sqlite3.connect(db, timeout=0, isolation_level=None)
    ticks: list[float] = []

    async def ticker() -> None:
        for _ in range(20):
            ticks.append(time.monotonic())
            await asyncio.sleep(0.005)

    try:
        blocker.execute("BEGIN IMMEDIATE")
        asyncio.get_running_loop().call_later(0.1, blocker.execute, "ROLLBACK")
        puts = asyncio.gather(*(store.inbox_put(event(n)) for n in range(5)))
        await asyncio.gather(puts, ticker())
        assert committed(db) == {f"ev-{n}" for n in range(5)}
        gaps = [b - a for a, b in itertools.pairwise(ticks)]
        assert max(gaps) < 0.05, gaps  # a blocked loop would show one gap of the whole wait
    finally:
        blocker.close()
        await store.close()


async def test_a_lock_held_longer_than_the_busy_timeout_fails_every_waiting_put(
    tmp_path: Path,
) -> None:
    db = tmp_path / "gateway.db"
    store = SqliteStore(str(db))
    store.group.busy_timeout = 0.2  # SQLite's 5 s, shortened for the test
    blocker = sqlite3.connect(db, timeout=0, isolation_level=None)
    try:
        blocker.execute("BEGIN IMMEDIATE")  # another writer keeps the lock: the commit fails
        started = time.monotonic()
        results = await asyncio.gather(
            *(store.inbox_put(event(n)) for n in range(5)), return_exceptions=True
        )
        assert all(isinstance(r, sqlite3.OperationalError) for r in results), results
        assert 0.2 <= time.monotonic() - started < 2.0
        blocker.execute("ROLLBACK")
        assert committed(db) == set()
        await store.inbox_put(event(7))  # the store works again once the lock is gone
        assert committed(db) == {"ev-7"}
    finally:
        blocker.close()
        await store.close()


def transactions(store: SqliteStore) -> list[str]:
    """Every BEGIN the store's connection runs from now on (SQLite's own statement trace)."""
    begun: list[str] = []
    store.db.set_trace_callback(lambda sql: begun.append(sql) if sql.startswith("BEGIN") else None)
    return begun


def reply(n: int) -> OutboxItem:
    return OutboxItem(
        key=f"wa:wamid.{n}", channel="wa", client_id="acme", url="http://graph.test/v25.0/1/messages",
        body={"text": {"body": f"r{n}"}}, correlation_id=f"cid-{n}", msg_id=f"wamid.{n}",
    )  # fmt: skip


async def test_the_writes_of_one_turn_share_one_transaction(tmp_path: Path) -> None:
    """What the inbox worker's concurrent events do: dedupe marks, outbox puts, done marks."""
    store = SqliteStore(str(tmp_path / "gateway.db"))
    try:
        for n in range(10):
            await store.inbox_put(event(n))
        begun = transactions(store)
        firsts = await asyncio.gather(
            *(store.dedupe_first("wa", f"wamid.{n % 5}", 60.0) for n in range(10))
        )
        assert len(begun) == 1  # ten marks, one commit
        assert firsts == [True] * 5 + [False] * 5  # the second mark of an id in the turn loses
        begun.clear()
        puts = await asyncio.gather(*(store.outbox_put(reply(n % 4)) for n in range(8)))
        assert len(begun) == 1 and puts == [True] * 4 + [False] * 4
        begun.clear()
        await asyncio.gather(*(store.inbox_done(f"ev-{n}") for n in range(10)))
        assert len(begun) == 1 and await store.inbox_depth() == 0
    finally:
        await store.close()


async def test_a_bad_row_fails_its_own_write_only(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "t.db", isolation_level=None)
    db.execute("CREATE TABLE t (v TEXT NOT NULL)")
    group = GroupCommit(db)
    insert = "INSERT INTO t (v) VALUES (?)"
    results = await asyncio.gather(
        group.write(insert, ("a",)), group.write(insert, (None,)), group.write(insert, ("b",)),
        return_exceptions=True,
    )  # fmt: skip
    assert results[0] == 1 and results[2] == 1
    assert isinstance(results[1], sqlite3.IntegrityError)
    assert sorted(r[0] for r in db.execute("SELECT v FROM t")) == ["a", "b"]
    db.close()


async def test_a_store_error_fails_the_whole_group_and_commits_none_of_it(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "t.db", isolation_level=None)
    db.execute("CREATE TABLE t (v TEXT NOT NULL)")
    group = GroupCommit(db)
    results = await asyncio.gather(
        group.write("INSERT INTO t (v) VALUES (?)", ("a",)),
        group.write("INSERT INTO gone (v) VALUES (?)", ("b",)),  # not the row: the store
        return_exceptions=True,
    )
    assert all(isinstance(r, sqlite3.OperationalError) for r in results), results
    assert db.execute("SELECT count(*) FROM t").fetchone()[0] == 0 and not db.in_transaction
    assert await group.write("INSERT INTO t (v) VALUES (?)", ("c",)) == 1  # usable again
    db.close()
