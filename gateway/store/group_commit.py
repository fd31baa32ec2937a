"""Group commit for SQLite: the writes issued in one event-loop turn share one transaction."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

Params = tuple[Any, ...]


class GroupCommit:
    """Queues single-statement writes and commits each turn's queue in one transaction.

    A commit (WAL append of every touched page) costs ~30-50 µs here whatever it holds, and
    the gateway issues several small writes per message (inbox put, dedupe mark, outbox put,
    inbox done, send outcome) from many coroutines at once: sharing the commit makes each
    write ~5x cheaper under load. No write waits for a timer, only for the current turn to
    end, so a lone write is committed as soon as it would have been alone, and no caller
    resumes (no ACK is sent) before its statement is durable.
    """

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self._queue: list[tuple[str, Params, asyncio.Future[int]]] = []

    async def write(self, sql: str, params: Params) -> int:
        """Run ``sql`` in the next group transaction; its row count once committed."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[int] = loop.create_future()
        self._queue.append((sql, params, done))
        if len(self._queue) == 1:
            loop.call_soon(self.flush)
        return await done

    def flush(self) -> None:
        """Commit everything queued (also called on close, so no waiting caller is left)."""
        batch, self._queue = self._queue, []
        if not batch:
            return
        counts: list[int | BaseException] = []
        try:
            self.db.execute("BEGIN IMMEDIATE")  # a failure here leaves no transaction open
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
        except Exception as exc:  # store down, disk full, locked too long: every caller fails
            for _, _, done in batch:
                if not done.done():
                    done.set_exception(exc)
            return
        for (_, _, done), count in zip(batch, counts, strict=True):
            if done.done():
                continue  # the caller was cancelled; its write is committed all the same
            if isinstance(count, BaseException):
                done.set_exception(count)
            else:
                done.set_result(count)
