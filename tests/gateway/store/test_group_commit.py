"""SQLite group commit of inbox puts: each returns only once committed; a failed commit fails all."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from gateway.store.base import InboxEvent
from gateway.store.sqlite import SqliteStore

pytestmark = pytest.mark.anyio


def event(n: int) -> InboxEvent:
    return InboxEvent(f"ev-{n}", "wa", b'{"n": %d}' % n, {}, 1_750_000_000.0 + n, f"cid-{n}")


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


async def test_a_failed_commit_fails_every_waiting_put(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    store = SqliteStore(str(db))
    blocker = sqlite3.connect(db, timeout=0)
    try:
        store.db.execute("PRAGMA busy_timeout=0")
        blocker.execute("BEGIN IMMEDIATE")  # another writer holds the lock: the commit fails
        results = await asyncio.gather(
            *(store.inbox_put(event(n)) for n in range(5)), return_exceptions=True
        )
        assert all(isinstance(r, sqlite3.OperationalError) for r in results), results
        blocker.execute("ROLLBACK")
        assert committed(db) == set()
        await store.inbox_put(event(7))  # the store works again once the lock is gone
        assert committed(db) == {"ev-7"}
    finally:
        blocker.close()
        await store.close()
