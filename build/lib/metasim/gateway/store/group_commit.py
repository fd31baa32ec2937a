"""Group commit for SQLite: the writes issued in one event-loop turn share one transaction."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from typing import Any

Params = tuple[Any, ...]
# as long as SQLite's own busy_timeout (SqliteStore.PRAGMAS) before a locked store fails writes
BUSY_TIMEOUT_SECONDS = 5.0
RETRY_FIRST_SECONDS = 0.0002
RETRY_MAX_SECONDS = 0.005


class GroupCommit:
    """Queues single-statement writes and commits each turn's queue in one transaction.

    A commit (WAL append of every touched page) costs ~30-50 µs here whatever it holds, and
    the gateway issues several small writes per message (inbox put, dedupe mark, outbox put,
    inbox done, send outcome) from many coroutines at once: sharing the commit makes each
    write ~5x cheaper under load. No write waits for a timer, only for the current turn to
    end, so a lone write is committed as soon as it would have been alone, and no caller
    resumes (no ACK is sent) before its statement is durable.
    """

    def __init__(
        self, db: sqlite3.Connection, *, busy_timeout: float = BUSY_TIMEOUT_SECONDS
    ) -> None:
        self.db = db
        self.busy_timeout = busy_timeout
        self._queue: list[tuple[str, Params, asyncio.Future[int]]] = []
        self._scheduled = False
        self._locked_since: float | None = None  # first BEGIN refused for the queued writes
        self._retry_delay = RETRY_FIRST_SECONDS

    async def write(self, sql: str, params: Params) -> int:
        """Run ``sql`` in the next group transaction; its row count once committed."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[int] = loop.create_future()
        self._queue.append((sql, params, done))
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self.flush)
        return await done

    def flush(self, *, block: bool = False) -> None:
        """Commit everything queued; ``block`` (on close) waits for a lock another process holds.

        When another process (the worker process, a backup) holds the write lock, the event
        loop is not put to sleep in SQLite's busy handler (1 ms and more per try, during which
        no ACK could be answered): the group is kept, later writes join it, and the commit is
        tried again after a short timer, up to ``busy_timeout`` before every caller fails.
        """
        self._scheduled = False
        batch, self._queue = self._queue, []
        if not batch:
            return
        try:
            self._begin(block)  # a failure here leaves no transaction open
        except sqlite3.OperationalError as exc:
            if not block and _locked(exc) and self._may_wait():
                self._queue[:0] = batch  # first in, first committed: order is kept
                self._retry_later()
                return
            self._fail(batch, exc)
            return
        except Exception as exc:
            self._fail(batch, exc)
            return
        self._locked_since = None
        self._retry_delay = RETRY_FIRST_SECONDS
        counts: list[int | BaseException] = []
        try:
            try:
                for sql, params, _ in batch:
                    try:
                        counts.append(self.db.execute(sql, params).rowcount)
                    except (sqlite3.IntegrityError, sqlite3.InterfaceError) as exc:
                        # this caller's row is at fault, not the store: fail it alone
                        counts.append(exc)
                self.db.execute("COMMIT")
            except BaseException:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise
        except Exception as exc:  # store down, disk full: every caller fails
            self._fail(batch, exc)
            return
        for (_, _, done), count in zip(batch, counts, strict=True):
            if done.done():
                continue  # the caller was cancelled; its write is committed all the same
            if isinstance(count, BaseException):
                done.set_exception(count)
            else:
                done.set_result(count)

    def _begin(self, block: bool) -> None:
        if block:
            self.db.execute("BEGIN IMMEDIATE")
            return
        # not waiting here: a lock held elsewhere answers "database is locked" at once
        self.db.execute("PRAGMA busy_timeout=0")
        try:
            self.db.execute("BEGIN IMMEDIATE")
        finally:
            self.db.execute(f"PRAGMA busy_timeout={int(self.busy_timeout * 1000)}")

    def _may_wait(self) -> bool:
        now = time.monotonic()
        if self._locked_since is None:
            self._locked_since = now
        return now - self._locked_since < self.busy_timeout

    def _retry_later(self) -> None:
        self._scheduled = True
        asyncio.get_running_loop().call_later(self._retry_delay, self.flush)
        self._retry_delay = min(self._retry_delay * 2, RETRY_MAX_SECONDS)

    def _fail(self, batch: list[tuple[str, Params, asyncio.Future[int]]], exc: Exception) -> None:
        self._locked_since = None
        self._retry_delay = RETRY_FIRST_SECONDS
        for _, _, done in batch:
            if not done.done():
                done.set_exception(exc)


SQLITE_BUSY, SQLITE_LOCKED = 5, 6


def _locked(exc: sqlite3.OperationalError) -> bool:
    """Another connection holds the lock: by sqlite3's result code (its text only for an
    error built without one)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return (code & 0xFF) in (SQLITE_BUSY, SQLITE_LOCKED)
    return "locked" in str(exc) or "busy" in str(exc)
