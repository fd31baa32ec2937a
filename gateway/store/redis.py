"""Redis backend of the store contract: several gateway processes share inbox, dedupe, outbox."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import redis.asyncio as aioredis
from redis import exceptions as redis_errors
from redis.asyncio.client import Pipeline
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.typing import EncodableT, FieldT

from metasim.gateway.store import redis_lua as lua
from metasim.gateway.store.base import DeadLetter, InboxEvent, OutboxItem, Quarantined, Retention
from metasim.gateway.store.records import (
    INFLIGHT_AT_CRASH,
    SnapshotError,
    item_from_row,
    item_to_fields,
)

BACKUP_FORMAT = "metasim-gateway-redis-dump/1"

# How each field of a record is kept in its hash: "text" (str), "bytes" (as is), "json",
# "float" (repr, so the exact value comes back) or "int". One spec serves both directions.
INBOX_FIELDS = {
    "event_id": "text",
    "channel": "text",
    "raw": "bytes",
    "received_at": "float",
    "correlation_id": "text",
    "attempts": "int",
}
QUARANTINE_FIELDS = {
    "quarantine_id": "text",
    "channel": "text",
    "reason": "text",
    "raw": "bytes",
    "correlation_id": "text",
    "at": "float",
    "detail": "json",
}

R = TypeVar("R")

# redis-py options the gateway always sets (seconds). A hung Redis costs a command at most
# about socket_timeout + connect timeout + one backoff: a reconnection is retried once, a
# command timeout is not (the script may have run; a claim or a put is not repeated blindly).
CLIENT_DEFAULTS: dict[str, float] = {
    "socket_timeout": 2.0,
    "socket_connect_timeout": 2.0,
    "health_check_interval": 30.0,  # a PING first on a connection idle this long
}


def _retry() -> Retry:
    return Retry(ExponentialBackoff(cap=0.5, base=0.05), retries=1,
                 supported_errors=(redis_errors.ConnectionError,))  # fmt: skip


class RedisStore:
    """The store on Redis (or Valkey): hashes per record, sorted sets as queues, Lua for claims.

    Layout under ``<prefix>:``: ``inbox:<id>`` hashes, the ``inbox:new`` list (arrival order)
    and the ``inbox:leased`` zset (score = lease end); ``dedupe:<channel>:<msg_id>`` strings (SET NX PX, Redis expires
    them); ``out:<key>`` hashes and the ``due`` / ``inflight`` / ``dlq`` zsets (scores: next
    attempt, lease end, dead-letter time); ``q:<id>`` hashes and the ``quarantine`` zset.
    """

    def __init__(
        self,
        client: aioredis.Redis,
        *,
        prefix: str = "gw",
        clock: Callable[[], float] = time.time,
        retention: Retention | None = None,
    ) -> None:
        self.r = client
        self.prefix = prefix
        self.clock = clock
        self.retention = retention or Retention()
        # key TTLs, in ms: Redis drops sent replies and quarantined events by itself
        self.sent_ttl_ms = max(1, int(self.retention.sent_seconds * 1000))
        self.quarantine_ttl_ms = max(1, int(self.retention.quarantine_seconds * 1000))
        p = prefix + ":"
        self.k_new, self.k_leased, self.h_inbox = p + "inbox:new", p + "inbox:leased", p + "inbox:"
        self.k_due, self.k_inflight, self.k_dlq = p + "due", p + "inflight", p + "dlq"
        self.h_out = p + "out:"
        self.k_quarantine, self.h_q = p + "quarantine", p + "q:"
        self.s = {
            name: client.register_script(getattr(lua, name))
            for name in (
                "INBOX_PUT",
                "INBOX_CLAIM",
                "OUTBOX_PUT",
                "OUTBOX_CLAIM",
                "OUTBOX_SENT",
                "OUTBOX_RETRY",
                "OUTBOX_RECOVER",
                "DLQ_PUT",
                "DLQ_REPLAY",
                "DLQ_PURGE",
                "QUARANTINE_PURGE",
            )
        }

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        clock: Callable[[], float] = time.time,
        retention: Retention | None = None,
    ) -> RedisStore:
        """``redis://host:port/db?prefix=gw``: ``prefix`` is ours, the rest goes to redis-py.

        Timeouts are always set (``CLIENT_DEFAULTS``, each overridable in the URL, e.g.
        ``?socket_timeout=1``): a Redis that hangs instead of refusing must turn into an error
        the ACK answers 503 to within a bound, not a request waiting forever.
        """
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query))
        prefix = query.pop("prefix", "gw")
        clean = urlunsplit(parts._replace(query=urlencode(query)))
        options: dict[str, Any] = {k: v for k, v in CLIENT_DEFAULTS.items() if k not in query}
        client = aioredis.Redis.from_url(clean, retry=_retry(), **options)
        return cls(client, prefix=prefix, clock=clock, retention=retention)

    async def ping(self) -> bool:
        return bool(await self.r.ping())

    async def close(self) -> None:
        await self.r.aclose()

    async def _put_queued(
        self, key: str, fields: dict[FieldT, EncodableT], enqueue: Callable[[Pipeline], object]
    ) -> None:
        """Write a record's hash and its queue entry in one MULTI: both land or neither."""
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping=fields)
            enqueue(pipe)
            await pipe.execute()

    async def _hashes_by_score(self, zset: str, prefix: str, limit: int) -> list[dict[str, bytes]]:
        """The hashes of the first ``limit`` members of ``zset`` (lowest score first)."""
        members = await self.r.zrange(zset, 0, max(0, limit - 1)) if limit > 0 else []
        async with self.r.pipeline(transaction=False) as pipe:
            for member in members:
                pipe.hgetall(prefix + _str(member))
            hashes = await pipe.execute()
        # a member whose hash went away between ZRANGE and HGETALL is skipped
        return [{_str(k): v for k, v in h.items()} for h in hashes if h]

    async def _depth(self, *, lists: tuple[str, ...] = (), zsets: tuple[str, ...] = ()) -> int:
        """Total length of these lists and sorted sets, read in one round trip."""
        async with self.r.pipeline(transaction=False) as pipe:
            for key in lists:
                pipe.llen(key)
            for key in zsets:
                pipe.zcard(key)
            return sum(int(n) for n in await pipe.execute())

    # inbox
    async def inbox_put(self, event: InboxEvent) -> None:
        fields = _to_hash(event, INBOX_FIELDS)
        flat: list[Any] = [x for pair in fields.items() for x in pair]
        await self.s["INBOX_PUT"](
            keys=[self.h_inbox + event.event_id, self.k_new], args=[event.event_id, *flat]
        )

    async def inbox_claim(
        self, worker_id: str, limit: int, lease_seconds: float
    ) -> list[InboxEvent]:
        now = self.clock()
        rows = await self.s["INBOX_CLAIM"](
            keys=[self.k_new, self.k_leased],
            args=[self.h_inbox, repr(now), limit, repr(now + lease_seconds), worker_id],
        )
        return [_from_hash(InboxEvent, INBOX_FIELDS, _hash(flat)) for flat in rows]

    async def inbox_done(self, event_id: str) -> None:
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.zrem(self.k_leased, event_id)
            pipe.lrem(self.k_new, 0, event_id)  # done before any claim: rare, O(n) is fine
            pipe.delete(self.h_inbox + event_id)
            await pipe.execute()

    async def release_dead_leases(self) -> int:
        # several gateway processes, possibly on several hosts, share this Redis: a pid says
        # nothing about a process elsewhere, so a lease here only ends when it expires
        return 0

    async def inbox_depth(self) -> int:
        return await self._depth(lists=(self.k_new,), zsets=(self.k_leased,))

    # dedupe: SET NX is the atomic "first one wins" across processes; PX lets Redis expire it
    async def dedupe_first(self, channel: str, msg_id: str, window_seconds: float) -> bool:
        key = f"{self.prefix}:dedupe:{channel}:{msg_id}"
        ms = max(1, int(window_seconds * 1000))
        return bool(await self.r.set(key, b"1", nx=True, px=ms))

    # outbox
    async def outbox_put(self, item: OutboxItem) -> bool:
        fields = item_to_fields(item, "pending")
        flat: list[Any] = [x for pair in fields.items() for x in pair]
        done = await self.s["OUTBOX_PUT"](
            keys=[self.h_out + item.key, self.k_due],
            args=[self.h_out, repr(item.next_attempt_at), item.key, *flat],
        )
        return bool(done)

    async def outbox_claim_due(
        self, now: float, limit: int, lease_seconds: float
    ) -> list[OutboxItem]:
        rows = await self.s["OUTBOX_CLAIM"](
            keys=[self.k_due, self.k_inflight],
            args=[self.h_out, repr(now), limit, repr(now + lease_seconds)],
        )
        return [item_from_row(_hash(flat)) for flat in rows]

    async def outbox_sent(self, key: str, answer: dict[str, Any]) -> None:
        await self.s["OUTBOX_SENT"](
            keys=[self.k_due, self.k_inflight, self.k_dlq],
            args=[self.h_out, key, json.dumps(answer), self.sent_ttl_ms],
        )

    async def outbox_retry_later(self, key: str, next_attempt_at: float, error: str) -> None:
        await self.s["OUTBOX_RETRY"](
            keys=[self.k_due, self.k_inflight],
            args=[self.h_out, key, repr(next_attempt_at), error],
        )

    async def outbox_depth(self) -> int:
        return await self._depth(zsets=(self.k_due, self.k_inflight))

    async def outbox_get(self, key: str) -> OutboxItem | None:
        h = await self.r.hgetall(self.h_out + key)
        return item_from_row({_str(k): v for k, v in h.items()}) if h else None

    async def outbox_recover(self, now: float) -> list[OutboxItem]:
        rows = await self.s["OUTBOX_RECOVER"](
            keys=[self.k_inflight, self.k_dlq], args=[self.h_out, repr(now), INFLIGHT_AT_CRASH]
        )
        return [item_from_row(_hash(flat)) for flat in rows]

    # dead-letter queue
    async def dlq_put(self, item: OutboxItem, reason: str, replayable: bool) -> None:
        await self.s["DLQ_PUT"](
            keys=[self.k_due, self.k_inflight, self.k_dlq],
            args=[
                self.h_out,
                item.key,
                reason,
                "1" if replayable else "0",
                repr(self.clock()),
                item.attempts,
                item.last_error or "",
            ],
        )

    async def dlq_list(self, limit: int = 100) -> list[DeadLetter]:
        return [
            DeadLetter(
                item=item_from_row(row),
                reason=row["dead_reason"].decode(),
                replayable=row["dead_replayable"] == b"1",
                dead_at=float(row["dead_at"]),
            )
            for row in await self._hashes_by_score(self.k_dlq, self.h_out, limit)
        ]

    async def dlq_replay(
        self, keys: list[str] | None, now: float, *, force: bool = False
    ) -> list[str]:
        replayed = await self.s["DLQ_REPLAY"](
            keys=[self.k_dlq, self.k_due],
            args=[
                self.h_out,
                repr(now),
                "1" if force else "0",
                "1" if keys is None else "0",
                *(keys or []),
            ],
        )
        return sorted(k.decode() for k in replayed)

    async def dlq_purge(self, keys: list[str] | None) -> int:
        args = [self.h_out, "1" if keys is None else "0", *(keys or [])]
        return int(await self.s["DLQ_PURGE"](keys=[self.k_dlq], args=args))

    async def dlq_depth(self) -> int:
        return int(await self.r.zcard(self.k_dlq))

    # quarantine
    async def quarantine_put(self, q: Quarantined) -> None:
        key = self.h_q + q.quarantine_id
        await self._put_queued(
            key,
            _to_hash(q, QUARANTINE_FIELDS),
            lambda pipe: (
                pipe.zadd(self.k_quarantine, {q.quarantine_id: q.at}),
                pipe.pexpire(key, self.quarantine_ttl_ms),
            ),
        )

    async def quarantine_list(self, limit: int = 100) -> list[Quarantined]:
        rows = await self._hashes_by_score(self.k_quarantine, self.h_q, limit)
        return [_from_hash(Quarantined, QUARANTINE_FIELDS, row) for row in rows]

    async def quarantine_get(self, ids: list[str]) -> list[Quarantined]:
        async with self.r.pipeline(transaction=False) as pipe:
            for qid in ids:
                pipe.hgetall(self.h_q + qid)
            hashes = await pipe.execute()
        found = [
            _from_hash(Quarantined, QUARANTINE_FIELDS, {_str(k): v for k, v in h.items()})
            for h in hashes
            if h
        ]
        return sorted(found, key=lambda q: (q.at, q.quarantine_id))

    async def quarantine_purge(self, ids: list[str] | None) -> int:
        args = [self.h_q, "1" if ids is None else "0", *(ids or [])]
        return int(await self.s["QUARANTINE_PURGE"](keys=[self.k_quarantine], args=args))

    async def quarantine_depth(self) -> int:
        return int(await self.r.zcard(self.k_quarantine))

    # retention: the records themselves carry TTLs (sent replies, quarantined events, dedupe
    # marks); the sweep only trims the quarantine index of the ids whose hash has expired
    async def expire(self, now: float) -> dict[str, int]:
        cutoff = now - self.retention.quarantine_seconds
        trimmed = await self.r.zremrangebyscore(self.k_quarantine, "-inf", f"({cutoff!r}")
        return {"sent": 0, "quarantined": int(trimmed), "dedupe": 0}

    # backup: a logical dump (DUMP + PTTL of every key under our prefix) rather than BGSAVE:
    # it needs no access to the server's disk (Redis often runs on another host or container),
    # holds only the gateway's keys (not other tenants' of a shared Redis), and restores into
    # a running server with RESTORE instead of a stop / copy RDB / start cycle.
    async def backup(self, path: str) -> str:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(f"{path}.part")
        with tmp.open("w", encoding="utf-8") as out:
            out.write(json.dumps({"format": BACKUP_FORMAT, "prefix": self.prefix}) + "\n")
            async for key in self.r.scan_iter(match=f"{self.prefix}:*", count=500):
                dump, ttl = await self.r.dump(key), await self.r.pttl(key)
                if dump is None:  # expired between SCAN and DUMP
                    continue
                line = {"key": _b64(key), "ttl_ms": max(0, int(ttl)), "dump": _b64(dump)}
                out.write(json.dumps(line) + "\n")
        tmp.replace(path)  # a snapshot is either whole or absent
        return path

    async def restore(self, path: str) -> None:
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
            head = json.loads(lines[0]) if lines else {}
            records = [json.loads(line) for line in lines[1:] if line]
        except FileNotFoundError:
            raise SnapshotError(f"no Redis snapshot at {path}") from None
        except (ValueError, UnicodeDecodeError):
            head, records = {}, []
        if not isinstance(head, dict) or head.get("format") != BACKUP_FORMAT:
            raise SnapshotError(
                f"{path} is not a gateway Redis snapshot (first line must name {BACKUP_FORMAT})"
            )
        current = [k async for k in self.r.scan_iter(match=f"{self.prefix}:*", count=500)]
        # one MULTI: the store goes from its current state to the snapshot's in one step
        async with self.r.pipeline(transaction=True) as pipe:
            if current:
                pipe.delete(*current)
            for rec in records:
                key = base64.b64decode(rec["key"])
                pipe.restore(key, rec["ttl_ms"], base64.b64decode(rec["dump"]), replace=True)
            await pipe.execute()


def _str(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _hash(flat: list[bytes]) -> dict[str, bytes]:
    """A Lua HGETALL reply (flat list) as a dict with str field names."""
    return {flat[i].decode(): flat[i + 1] for i in range(0, len(flat), 2)}


def _to_hash(record: object, spec: dict[str, str]) -> dict[FieldT, EncodableT]:
    """A record's hash fields, each encoded as ``spec`` says."""
    out: dict[FieldT, EncodableT] = {}
    for name, kind in spec.items():
        value = getattr(record, name)
        out[name] = (
            json.dumps(value) if kind == "json" else repr(value) if kind == "float" else value
        )
    return out


def _from_hash(cls: Callable[..., R], spec: dict[str, str], h: dict[str, bytes]) -> R:
    """The record ``cls`` back from the hash ``_to_hash`` wrote with the same ``spec``."""
    decode: dict[str, Callable[[bytes], Any]] = {
        "text": bytes.decode,
        "bytes": bytes,
        "json": json.loads,
        "float": float,
        "int": int,
    }
    return cls(**{name: decode[kind](h[name]) for name, kind in spec.items()})
