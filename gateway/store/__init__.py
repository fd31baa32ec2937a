"""Durable state of the gateway: inbox, dedupe, outbox, dead-letter queue and quarantine."""

from __future__ import annotations

import time
from collections.abc import Callable

from metasim.gateway.store.base import Retention, Store


class StoreURLError(ValueError):
    """GATEWAY_STORE names no backend this gateway knows."""


def open_store(
    url: str, *, clock: Callable[[], float] = time.time, retention: Retention | None = None
) -> Store:
    """The store named by ``url``: ``sqlite:///relative.db``, ``sqlite:////abs.db``,
    ``sqlite:///:memory:``, or ``redis://host:port/db`` (``rediss://`` too; ``?prefix=gw``
    namespaces the keys so several gateways can share one Redis). ``retention``: how long
    sent replies and quarantined events are kept (``Retention()`` defaults)."""
    retention = retention or Retention()
    if url.startswith("sqlite:///"):
        from metasim.gateway.store.sqlite import SqliteStore

        path = url.removeprefix("sqlite:///")
        if not path:
            raise StoreURLError(f"{url!r} names no file: use sqlite:///var/gateway.db")
        return SqliteStore(path, clock=clock, retention=retention)
    if url.startswith(("redis://", "rediss://")):
        from metasim.gateway.store.redis import RedisStore

        return RedisStore.from_url(url, clock=clock, retention=retention)
    raise StoreURLError(
        f"GATEWAY_STORE={url!r}: unknown store, use sqlite:///path/to/file.db or redis://host:port/0"
    )
