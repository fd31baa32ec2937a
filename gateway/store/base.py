"""The store contract every backend (SQLite, Redis) implements, and the records it keeps."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

DAY = 86400.0


@dataclass(frozen=True)
class Retention:
    """How long finished records are kept (seconds): sent replies (their key refuses a second
    reply meanwhile) and quarantined raw events (personal data: kept for replay, not forever)."""

    sent_seconds: float = 7 * DAY  # Meta's retry horizon, as the dedupe window
    quarantine_seconds: float = 30 * DAY


@dataclass
class InboxEvent:
    """One raw webhook POST, stored before the 200 ACK (bytes exactly as received)."""

    event_id: str
    channel: str  # "wa" | "ig" | "msg"
    raw: bytes
    received_at: float  # epoch seconds
    correlation_id: str
    attempts: int = 0


@dataclass
class OutboxItem:
    """One reply to send to the Graph API; ``key`` is unique per inbound message.

    ``key`` = "<channel>:<inbound msg_id>", so a second ``outbox_put`` for the same inbound
    message is refused: the store, not the caller, guarantees one reply per message.
    """

    key: str
    channel: str
    client_id: str
    url: str
    body: dict[str, Any]
    correlation_id: str
    msg_id: str
    attempts: int = 0
    next_attempt_at: float = 0.0
    last_error: str | None = None
    created_at: float = 0.0
    state: str = "pending"  # pending | inflight | sent | dead | purged


@dataclass
class DeadLetter:
    """An outbox item that will not be retried automatically, with the reason."""

    item: OutboxItem
    reason: str
    replayable: bool
    dead_at: float


@dataclass
class Quarantined:
    """A raw event (or part of one) the gateway acknowledged but could not process."""

    quarantine_id: str
    channel: str
    reason: str
    raw: bytes
    correlation_id: str
    at: float
    detail: dict[str, Any] = field(default_factory=dict)


class Store(Protocol):
    """Async storage contract; the same contract tests run against every backend."""

    async def ping(self) -> bool: ...
    async def close(self) -> None: ...

    # inbox: durable before ACK, claimed by a worker under a lease, done once processed; a claim
    # also re-takes the events still leased to the same worker_id (a claim whose answer was lost)
    # an event id already in the inbox is left as it is (its attempts, its one queue entry)
    async def inbox_put(self, event: InboxEvent) -> None: ...
    async def inbox_claim(
        self, worker_id: str, limit: int, lease_seconds: float
    ) -> list[InboxEvent]: ...
    async def inbox_done(self, event_id: str) -> None: ...
    async def inbox_depth(self) -> int: ...
    # at startup: end the inbox and outbox leases whose holder is known to be dead, so events
    # claimed by a killed process come back at once; returns how many were released. SQLite
    # (one host) checks the holder's pid; Redis returns 0, as processes on other hosts share
    # it and no pid check can prove them dead: its leases end by time only.
    async def release_dead_leases(self) -> int: ...

    # dedupe: True the first time (channel, msg_id) is seen inside the window
    async def dedupe_first(self, channel: str, msg_id: str, window_seconds: float) -> bool: ...

    # outbox: one item per key, ever; claimed under a lease; a crash while "inflight" leaves
    # the send ambiguous, so recovery dead-letters it (reason "inflight-at-crash") instead of
    # sending a possible duplicate
    async def outbox_put(self, item: OutboxItem) -> bool: ...
    async def outbox_claim_due(
        self, now: float, limit: int, lease_seconds: float
    ) -> list[OutboxItem]: ...
    async def outbox_sent(self, key: str, answer: dict[str, Any]) -> None: ...
    async def outbox_retry_later(self, key: str, next_attempt_at: float, error: str) -> None: ...
    async def outbox_depth(self) -> int: ...
    async def outbox_get(self, key: str) -> OutboxItem | None: ...
    # dead-letters, with reason "inflight-at-crash", every item still inflight whose lease
    # ended before ``now``: a live worker always settles an item within its lease, so an
    # expired lease means the worker died mid-send (the same rule for one or many processes)
    async def outbox_recover(self, now: float) -> list[OutboxItem]: ...

    # dead-letter queue
    async def dlq_put(self, item: OutboxItem, reason: str, replayable: bool) -> None: ...
    async def dlq_list(self, limit: int = 100) -> list[DeadLetter]: ...
    # back to the outbox (pending, attempts 0, due ``now``): the named keys (None = all) that
    # are replayable, or every one of them when ``force``; returns the keys replayed
    async def dlq_replay(
        self, keys: list[str] | None, now: float, *, force: bool = False
    ) -> list[str]: ...
    # a purged key stays known to the outbox (state "purged"): it is never queued again
    async def dlq_purge(self, keys: list[str] | None) -> int: ...
    async def dlq_depth(self) -> int: ...

    # quarantine
    async def quarantine_put(self, q: Quarantined) -> None: ...
    async def quarantine_list(self, limit: int = 100) -> list[Quarantined]: ...
    # the named items still quarantined, oldest first (unknown ids are skipped)
    async def quarantine_get(self, ids: list[str]) -> list[Quarantined]: ...
    # removes the named items (None = all); how many there were
    async def quarantine_purge(self, ids: list[str] | None) -> int: ...
    async def quarantine_depth(self) -> int: ...

    # retention: drop what outlived its keep time (sent replies, quarantined events, expired
    # dedupe marks); SQLite deletes rows here, Redis keys carry TTLs and this trims the
    # indexes. Pending, inflight and dead items are never expired. Counts per kind.
    async def expire(self, now: float) -> dict[str, int]: ...

    # backup
    async def backup(self, path: str) -> str: ...
    async def restore(self, path: str) -> None: ...
