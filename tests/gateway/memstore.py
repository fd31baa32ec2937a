"""A small in-memory Store (gateway/store/base.py contract) so route and pipeline tests need no disk."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from metasim.gateway.store.base import DeadLetter, InboxEvent, OutboxItem, Quarantined


class MemoryStore:
    """Keeps everything in dicts; ``fail`` makes every call raise (store outage tests)."""

    def __init__(self) -> None:
        self.inbox: dict[str, InboxEvent] = {}
        self.leases: dict[str, float] = {}
        self.owners: dict[str, str] = {}
        self.done: set[str] = set()
        self.seen: dict[tuple[str, str], float] = {}
        self.outbox: dict[str, OutboxItem] = {}
        self.dlq: dict[str, DeadLetter] = {}
        self.quarantine: dict[str, Quarantined] = {}
        self.fail = False
        self.closed = False

    def _check(self) -> None:
        if self.fail:
            raise ConnectionError("store down (test)")

    async def ping(self) -> bool:
        self._check()
        return True

    async def close(self) -> None:
        self.closed = True

    async def inbox_put(self, event: InboxEvent) -> None:
        self._check()
        self.inbox[event.event_id] = replace(event)

    async def inbox_claim(
        self, worker_id: str, limit: int, lease_seconds: float
    ) -> list[InboxEvent]:
        self._check()
        now = time.time()
        out = []
        for event in self.inbox.values():
            mine = self.owners.get(event.event_id) == worker_id  # a lost answer: re-take it
            if event.event_id in self.done or (
                self.leases.get(event.event_id, 0) > now and not mine
            ):
                continue
            event.attempts += 1
            self.leases[event.event_id] = now + lease_seconds
            self.owners[event.event_id] = worker_id
            out.append(replace(event))
            if len(out) >= limit:
                break
        return out

    async def inbox_done(self, event_id: str) -> None:
        self._check()
        self.done.add(event_id)

    async def release_dead_leases(self) -> int:
        return 0  # in memory: nothing outlives the process

    async def inbox_depth(self) -> int:
        return len(self.inbox) - len(self.done)

    async def dedupe_first(self, channel: str, msg_id: str, window_seconds: float) -> bool:
        self._check()
        now = time.time()
        at = self.seen.get((channel, msg_id))
        if at is not None and now - at < window_seconds:
            return False
        self.seen[(channel, msg_id)] = now
        return True

    async def outbox_put(self, item: OutboxItem) -> bool:
        self._check()
        if item.key in self.outbox:
            return False
        self.outbox[item.key] = replace(item)
        return True

    async def outbox_claim_due(
        self, now: float, limit: int, lease_seconds: float
    ) -> list[OutboxItem]:
        due = [i for i in self.outbox.values() if i.state == "pending" and i.next_attempt_at <= now]
        for item in due[:limit]:
            item.state = "inflight"
        return [replace(i) for i in due[:limit]]

    async def outbox_sent(self, key: str, answer: dict[str, Any]) -> None:
        self.outbox[key].state = "sent"

    async def outbox_retry_later(self, key: str, next_attempt_at: float, error: str) -> None:
        item = self.outbox[key]
        item.state, item.next_attempt_at, item.last_error = "pending", next_attempt_at, error
        item.attempts += 1

    async def outbox_depth(self) -> int:
        return sum(1 for i in self.outbox.values() if i.state in ("pending", "inflight"))

    async def outbox_recover(self, now: float) -> list[OutboxItem]:
        return []

    async def dlq_put(self, item: OutboxItem, reason: str, replayable: bool) -> None:
        item.state = "dead"
        self.dlq[item.key] = DeadLetter(item, reason, replayable, time.time())

    async def dlq_list(self, limit: int = 100) -> list[DeadLetter]:
        return list(self.dlq.values())[:limit]

    async def dlq_replay(self, keys: list[str] | None, now: float) -> list[str]:
        return []

    async def dlq_purge(self, keys: list[str] | None) -> int:
        n = len(self.dlq)
        self.dlq.clear()
        return n

    async def dlq_depth(self) -> int:
        return len(self.dlq)

    async def quarantine_put(self, q: Quarantined) -> None:
        self._check()
        self.quarantine[q.quarantine_id] = q

    async def quarantine_list(self, limit: int = 100) -> list[Quarantined]:
        return list(self.quarantine.values())[:limit]

    async def quarantine_get(self, ids: list[str]) -> list[Quarantined]:
        self._check()
        return [self.quarantine[i] for i in ids if i in self.quarantine]

    async def quarantine_take(self, ids: list[str] | None) -> list[Quarantined]:
        taken = [q for k, q in self.quarantine.items() if ids is None or k in ids]
        for q in taken:
            del self.quarantine[q.quarantine_id]
        return taken

    async def quarantine_purge(self, ids: list[str] | None) -> int:
        return len(await self.quarantine_take(ids))

    async def quarantine_depth(self) -> int:
        return len(self.quarantine)

    async def expire(self, now: float) -> dict[str, int]:
        return {"sent": 0, "quarantined": 0, "dedupe": 0}

    async def backup(self, path: str) -> str:
        return path

    async def restore(self, path: str) -> None:
        return None
