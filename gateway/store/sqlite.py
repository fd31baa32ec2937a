"""SQLite (WAL) backend of the store contract: one file, zero setup, the default."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from metasim.gateway.store.base import DeadLetter, InboxEvent, OutboxItem, Quarantined, Retention
from metasim.gateway.store.group_commit import GroupCommit
from metasim.gateway.store.records import INFLIGHT_AT_CRASH, SnapshotError, item_from_row

SCHEMA = """
CREATE TABLE IF NOT EXISTS inbox (
    event_id TEXT PRIMARY KEY, channel TEXT NOT NULL, raw BLOB NOT NULL,
    received_at REAL NOT NULL, correlation_id TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    lease_until REAL NOT NULL DEFAULT 0, owner TEXT);
-- the claim walks the inbox oldest first, skipping leased events: without this index every
-- claim sorted the whole inbox (a third of the worker's CPU with a backlog of a few thousand);
-- no other inbox index, as each one costs every ACK an index write
CREATE INDEX IF NOT EXISTS inbox_received ON inbox (received_at);
DROP INDEX IF EXISTS inbox_lease;
CREATE TABLE IF NOT EXISTS dedupe (
    channel TEXT NOT NULL, msg_id TEXT NOT NULL, expires_at REAL NOT NULL,
    PRIMARY KEY (channel, msg_id));
CREATE TABLE IF NOT EXISTS outbox (
    key TEXT PRIMARY KEY, channel TEXT NOT NULL, client_id TEXT NOT NULL, url TEXT NOT NULL,
    body TEXT NOT NULL, correlation_id TEXT NOT NULL, msg_id TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at REAL NOT NULL DEFAULT 0,
    last_error TEXT, created_at REAL NOT NULL DEFAULT 0, state TEXT NOT NULL,
    lease_until REAL NOT NULL DEFAULT 0, answer TEXT,
    dead_reason TEXT, dead_replayable INTEGER, dead_at REAL);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (state, next_attempt_at);
CREATE TABLE IF NOT EXISTS quarantine (
    quarantine_id TEXT PRIMARY KEY, channel TEXT NOT NULL, reason TEXT NOT NULL, raw BLOB NOT NULL,
    correlation_id TEXT NOT NULL, at REAL NOT NULL, detail TEXT NOT NULL);
"""

OUTBOX_COLUMNS = (
    "key, channel, client_id, url, body, correlation_id, msg_id, attempts, next_attempt_at, "
    "last_error, created_at, state"
)


# columns added after the first release: (table, column, definition), added to older files at open
MIGRATIONS = (
    ("inbox", "owner_pid", "INTEGER"),
    ("outbox", "owner_pid", "INTEGER"),
    ("outbox", "sent_at", "REAL"),
)
# columns older releases wrote and nothing reads any more: (table, column), dropped at open
DROPPED = (("inbox", "headers"),)


def pid_alive(pid: int) -> bool:
    """True when a process with this id exists on this host (signal 0 checks without sending)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by another user
    return True


class SqliteStore:
    """The store on one SQLite file in WAL mode.

    Methods are ``async`` to fit the contract but run the statement right away on one
    synchronous connection: each is a single short transaction (tens of microseconds, the WAL
    append is not fsynced, see ``PRAGMAS``), cheaper than a hop to a thread pool. As no method
    awaits inside a transaction, calls from one event loop are serialised by construction.
    """

    # synchronous=NORMAL in WAL mode: a commit is appended to the WAL file through the OS page
    # cache before ``commit`` returns, and a SIGKILL of our process leaves that cache to the
    # kernel, which writes it out; only a power cut or kernel crash could lose the last commits
    # (FULL would fsync each one for that, at ~1 ms per ACK). The durability the gateway
    # promises is "ACKed events survive the process being killed", which NORMAL gives.
    # busy_timeout lets a second process (the backup CLI) share the file safely.
    PRAGMAS = (
        "PRAGMA journal_mode=WAL",
        "PRAGMA synchronous=NORMAL",
        "PRAGMA busy_timeout=5000",
        "PRAGMA foreign_keys=ON",
    )

    def __init__(
        self,
        path: str,
        *,
        clock: Callable[[], float] = time.time,
        retention: Retention | None = None,
    ) -> None:
        self.path = path
        self.clock = clock
        self.retention = retention or Retention()
        self._marks = 0
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: autocommit, transactions opened explicitly with BEGIN IMMEDIATE
        # so a claim's SELECT and UPDATE hold the write lock together
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        # the small per-message writes (inbox put and done, dedupe mark, outbox put and sent)
        # share one transaction per event-loop turn
        self.group = GroupCommit(self.db)
        for pragma in self.PRAGMAS:
            self.db.execute(pragma)
        self._migrate()

    def _migrate(self) -> None:
        """Create the tables, add the columns newer releases use, drop the ones they do not
        (at open, and after a restore brought back an older file)."""
        self.db.executescript(SCHEMA)
        for table, column, definition in MIGRATIONS:
            known = {r[1] for r in self.db.execute(f"PRAGMA table_info({table})")}
            if column not in known:
                self.db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")
        for table, column in DROPPED:
            known = {r[1] for r in self.db.execute(f"PRAGMA table_info({table})")}
            if column in known:
                self.db.execute(f"ALTER TABLE {table} DROP COLUMN {column}")

    def _tx(self) -> _Transaction:
        return _Transaction(self.db)

    async def ping(self) -> bool:
        return self.db.execute("SELECT 1").fetchone()[0] == 1

    async def close(self) -> None:
        self.group.flush(block=True)  # nothing a caller is waiting on is left behind
        self.db.close()

    # inbox
    async def inbox_put(self, event: InboxEvent) -> None:
        """Returns once the event is committed: the caller may then ACK.

        Group commit: the puts of every request handled in the same event-loop turn share one
        transaction (one WAL append instead of one per event), see ``GroupCommit``.
        """
        await self.group.write(
            "INSERT OR IGNORE INTO inbox (event_id, channel, raw, received_at, "
            "correlation_id, attempts) VALUES (?, ?, ?, ?, ?, ?)",
            (
                event.event_id,
                event.channel,
                event.raw,
                event.received_at,
                event.correlation_id,
                event.attempts,
            ),
        )

    async def inbox_claim(
        self, worker_id: str, limit: int, lease_seconds: float
    ) -> list[InboxEvent]:
        now = self.clock()
        with self._tx():
            rows = self.db.execute(
                "UPDATE inbox SET lease_until = ?, owner = ?, owner_pid = ?, "
                "attempts = attempts + 1 WHERE event_id IN (SELECT event_id FROM inbox "
                "WHERE lease_until <= ? OR owner = ? ORDER BY received_at LIMIT ?) RETURNING *",
                (now + lease_seconds, worker_id, os.getpid(), now, worker_id, limit),
            ).fetchall()
        events = [
            InboxEvent(
                event_id=r["event_id"],
                channel=r["channel"],
                raw=bytes(r["raw"]),
                received_at=r["received_at"],
                correlation_id=r["correlation_id"],
                attempts=r["attempts"],
            )
            for r in rows
        ]
        return sorted(events, key=lambda e: e.received_at)

    async def release_dead_leases(self) -> int:
        """End now the leases held by processes of this host that are no longer alive.

        A SQLite file is owned by the processes of one host (the gateway, sometimes the backup
        CLI beside it), so the pid recorded with each lease says whether its holder still runs:
        after a SIGKILL the restarted gateway need not wait out the 30 s inbox lease. Inbox
        events become claimable at once; outbox items left inflight get an ended lease, so the
        next ``outbox_recover`` dead-letters them as inflight-at-crash (never re-sent blindly).
        A live pid (ours, a second gateway, or an unrelated process that reused the number)
        keeps its leases until they expire: the safe side, only slower.
        """
        now = self.clock()
        released = 0
        with self._tx():
            for table, held in (("inbox", "1 = 1"), ("outbox", "state = 'inflight'")):
                pids = [
                    r[0]
                    for r in self.db.execute(
                        f"SELECT DISTINCT owner_pid FROM {table} WHERE {held} AND lease_until > ? "
                        "AND owner_pid IS NOT NULL",
                        (now,),
                    )
                ]
                for pid in pids:
                    if pid != os.getpid() and not pid_alive(pid):
                        released += self.db.execute(
                            f"UPDATE {table} SET lease_until = 0 WHERE {held} AND owner_pid = ? "
                            "AND lease_until > ?",
                            (pid, now),
                        ).rowcount
        return released

    async def inbox_done(self, event_id: str) -> None:
        await self.group.write("DELETE FROM inbox WHERE event_id = ?", (event_id,))

    async def inbox_depth(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM inbox").fetchone()[0])

    # dedupe
    async def dedupe_first(self, channel: str, msg_id: str, window_seconds: float) -> bool:
        now = self.clock()
        # one statement: a new id is inserted, an expired mark renewed, a live one left alone
        # (0 rows changed), so the check and the mark cannot be split by another write
        changed = await self.group.write(
            "INSERT INTO dedupe (channel, msg_id, expires_at) VALUES (?, ?, ?) "
            "ON CONFLICT (channel, msg_id) DO UPDATE SET expires_at = excluded.expires_at "
            "WHERE dedupe.expires_at <= ?",
            (channel, msg_id, now + window_seconds, now),
        )
        if changed:
            # expired marks are dropped now and then, so the table stays the window's size
            self._marks += 1
            if self._marks % 256 == 0:
                await self.group.write("DELETE FROM dedupe WHERE expires_at <= ?", (now,))
        return changed == 1

    # outbox
    async def outbox_put(self, item: OutboxItem) -> bool:
        changed = await self.group.write(
            f"INSERT OR IGNORE INTO outbox ({OUTBOX_COLUMNS}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')",
            (
                item.key,
                item.channel,
                item.client_id,
                item.url,
                json.dumps(item.body),
                item.correlation_id,
                item.msg_id,
                item.attempts,
                item.next_attempt_at,
                item.last_error,
                item.created_at,
            ),
        )
        return changed == 1

    async def outbox_claim_due(
        self, now: float, limit: int, lease_seconds: float
    ) -> list[OutboxItem]:
        with self._tx():
            rows = self.db.execute(
                "UPDATE outbox SET state = 'inflight', lease_until = ?, owner_pid = ?, "
                "attempts = attempts + 1 WHERE key IN (SELECT key FROM outbox "
                "WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at "
                f"LIMIT ?) RETURNING {OUTBOX_COLUMNS}",
                (now + lease_seconds, os.getpid(), now, limit),
            ).fetchall()
        return sorted((item_from_row(dict(r)) for r in rows), key=lambda i: i.next_attempt_at)

    async def outbox_sent(self, key: str, answer: dict[str, Any]) -> None:
        # unconditional: Graph's answer proves the send happened, even if recovery had already
        # dead-lettered the item as inflight-at-crash (a worker slower than its lease)
        await self.group.write(
            "UPDATE outbox SET state = 'sent', answer = ?, sent_at = ?, lease_until = 0, "
            "dead_reason = NULL, dead_replayable = NULL, dead_at = NULL WHERE key = ?",
            (json.dumps(answer), self.clock(), key),
        )

    async def outbox_retry_later(self, key: str, next_attempt_at: float, error: str) -> None:
        await self.group.write(
            "UPDATE outbox SET state = 'pending', next_attempt_at = ?, last_error = ?, "
            "lease_until = 0 WHERE key = ? AND state = 'inflight'",
            (next_attempt_at, error, key),
        )

    async def outbox_depth(self) -> int:
        q = "SELECT count(*) FROM outbox WHERE state IN ('pending', 'inflight')"
        return int(self.db.execute(q).fetchone()[0])

    async def outbox_get(self, key: str) -> OutboxItem | None:
        q = f"SELECT {OUTBOX_COLUMNS} FROM outbox WHERE key = ?"
        row = self.db.execute(q, (key,)).fetchone()
        return None if row is None else item_from_row(dict(row))

    async def outbox_recover(self, now: float) -> list[OutboxItem]:
        with self._tx():
            rows = self.db.execute(
                "UPDATE outbox SET state = 'dead', dead_reason = ?, dead_replayable = 0, "
                "dead_at = ?, lease_until = 0 WHERE state = 'inflight' AND lease_until <= ? "
                f"RETURNING {OUTBOX_COLUMNS}",
                (INFLIGHT_AT_CRASH, now, now),
            ).fetchall()
        return [item_from_row(dict(r)) for r in rows]

    # dead-letter queue
    async def dlq_put(self, item: OutboxItem, reason: str, replayable: bool) -> None:
        self.db.execute(
            "UPDATE outbox SET state = 'dead', dead_reason = ?, dead_replayable = ?, dead_at = ?, "
            "attempts = ?, last_error = ?, lease_until = 0 WHERE key = ?",
            (reason, int(replayable), self.clock(), item.attempts, item.last_error, item.key),
        )

    async def dlq_list(self, limit: int = 100) -> list[DeadLetter]:
        rows = self.db.execute(
            f"SELECT {OUTBOX_COLUMNS}, dead_reason, dead_replayable, dead_at FROM outbox "
            "WHERE state = 'dead' ORDER BY dead_at, key LIMIT ?",
            (limit,),
        ).fetchall()
        return [
            DeadLetter(
                item=item_from_row(dict(r)),
                reason=r["dead_reason"],
                replayable=bool(r["dead_replayable"]),
                dead_at=r["dead_at"],
            )
            for r in rows
        ]

    async def dlq_replay(
        self, keys: list[str] | None, now: float, *, force: bool = False
    ) -> list[str]:
        where, args = _keys_clause(keys)
        if not force:
            where += " AND dead_replayable = 1"
        with self._tx():
            rows = self.db.execute(
                "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?, "
                "dead_reason = NULL, dead_replayable = NULL, dead_at = NULL "
                f"WHERE state = 'dead'{where} RETURNING key",
                (now, *args),
            ).fetchall()
        return sorted(r[0] for r in rows)

    async def dlq_purge(self, keys: list[str] | None) -> int:
        where, args = _keys_clause(keys)
        cur = self.db.execute(
            f"UPDATE outbox SET state = 'purged' WHERE state = 'dead'{where}", tuple(args)
        )
        return cur.rowcount

    async def dlq_depth(self) -> int:
        return int(
            self.db.execute("SELECT count(*) FROM outbox WHERE state = 'dead'").fetchone()[0]
        )

    # quarantine
    async def quarantine_put(self, q: Quarantined) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO quarantine VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                q.quarantine_id,
                q.channel,
                q.reason,
                q.raw,
                q.correlation_id,
                q.at,
                json.dumps(q.detail),
            ),
        )

    async def quarantine_list(self, limit: int = 100) -> list[Quarantined]:
        q = "SELECT * FROM quarantine ORDER BY at, quarantine_id LIMIT ?"
        return [_quarantined(r) for r in self.db.execute(q, (limit,)).fetchall()]

    async def quarantine_get(self, ids: list[str]) -> list[Quarantined]:
        where, args = _keys_clause(ids, column="quarantine_id")
        q = f"SELECT * FROM quarantine WHERE 1 = 1{where} ORDER BY at, quarantine_id"
        return [_quarantined(r) for r in self.db.execute(q, tuple(args)).fetchall()]

    async def quarantine_purge(self, ids: list[str] | None) -> int:
        where, args = _keys_clause(ids, column="quarantine_id")
        return self.db.execute(f"DELETE FROM quarantine WHERE 1 = 1{where}", tuple(args)).rowcount

    async def quarantine_depth(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM quarantine").fetchone()[0])

    # retention: one sweep, three short deletes (freed pages are reused by later writes, so
    # the file levels off at about one retention period's worth of rows)
    async def expire(self, now: float) -> dict[str, int]:
        r = self.retention
        with self._tx():
            sent = self.db.execute(
                "DELETE FROM outbox WHERE state = 'sent' AND sent_at < ?",
                (now - r.sent_seconds,),
            ).rowcount
            quarantined = self.db.execute(
                "DELETE FROM quarantine WHERE at < ?", (now - r.quarantine_seconds,)
            ).rowcount
            marks = self.db.execute("DELETE FROM dedupe WHERE expires_at <= ?", (now,)).rowcount
        return {"sent": sent, "quarantined": quarantined, "dedupe": marks}

    # backup: SQLite's online backup API copies a consistent snapshot page by page while the
    # gateway keeps writing (no lock held for the whole copy, unlike copying the file)
    async def backup(self, path: str) -> str:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        tmp = f"{path}.part"
        target = sqlite3.connect(tmp)
        try:
            self.db.backup(target)
        finally:
            target.close()
        Path(tmp).replace(path)  # a snapshot is either whole or absent
        return path

    async def restore(self, path: str) -> None:
        if not Path(path).is_file():
            raise SnapshotError(f"no SQLite snapshot at {path}")
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            try:
                sound = source.execute("PRAGMA quick_check").fetchone()[0] == "ok"
                tables = {r[0] for r in source.execute("SELECT name FROM sqlite_master")}
            except sqlite3.DatabaseError:
                sound, tables = False, set()
            if not sound or not {"inbox", "outbox", "dedupe", "quarantine"} <= tables:
                raise SnapshotError(f"{path} is not a gateway SQLite snapshot")
            source.backup(self.db)
        finally:
            source.close()
        self._migrate()


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on error) on an autocommit connection."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.db.execute("COMMIT" if exc_type is None else "ROLLBACK")


def _keys_clause(keys: Iterable[str] | None, column: str = "key") -> tuple[str, list[str]]:
    if keys is None:
        return "", []
    keys = list(keys)
    return f" AND {column} IN ({', '.join('?' * len(keys))})", keys


def _quarantined(r: sqlite3.Row) -> Quarantined:
    return Quarantined(
        quarantine_id=r["quarantine_id"],
        channel=r["channel"],
        reason=r["reason"],
        raw=bytes(r["raw"]),
        correlation_id=r["correlation_id"],
        at=r["at"],
        detail=json.loads(r["detail"]),
    )
