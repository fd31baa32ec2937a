"""What a gateway test reads back from the runtime's real SQLite store, and a store outage."""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable
from typing import Any

from metasim.gateway.runtime import Runtime
from metasim.gateway.store.base import InboxEvent, OutboxItem, Quarantined, Store


async def inbox(rt: Runtime) -> list[InboxEvent]:
    """The events waiting in the inbox (taken with a zero lease: still claimable by a worker)."""
    return await rt.store.inbox_claim("test-reader", 10_000, 0.0)


async def outbox(rt: Runtime) -> dict[str, OutboxItem]:
    """Every outbox item by key, whatever its state (the Store contract has no listing)."""
    # the keys from the SQLite file itself; each item through the store's own reader
    db: sqlite3.Connection = rt.store.db  # type: ignore[attr-defined]
    keys = [row[0] for row in db.execute("SELECT key FROM outbox ORDER BY key")]
    items = {key: await rt.store.outbox_get(key) for key in keys}
    return {key: item for key, item in items.items() if item is not None}


async def quarantine(rt: Runtime) -> list[Quarantined]:
    return await rt.store.quarantine_list(10_000)


class Outage:
    """A real store that fails every call while ``down``, as SQLite does when its file is locked.

    Wraps the runtime's store (``rt.store = Outage(rt.store)``); up, it only forwards.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self.down = False

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.store, name)
        if not callable(attr):
            return attr

        async def call(*args: Any, **kwargs: Any) -> Any:
            if self.down:
                # what a locked or unreachable SQLite file raises: a transient store error
                raise sqlite3.OperationalError("database is locked (test outage)")
            result: Awaitable[Any] = attr(*args, **kwargs)
            return await result

        return call
