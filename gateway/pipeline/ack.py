"""Stage 3: the raw event is written to the durable inbox, then (only then) the 200 ACK."""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING, Any

from metasim.gateway.pipeline.base import Ingress, Reject
from metasim.gateway.store.base import InboxEvent
from metasim.gateway.store.transient import is_transient

if TYPE_CHECKING:
    from metasim.gateway.observability.metrics import Metrics
    from metasim.gateway.store.base import Store


class Ack:
    """Store the bytes exactly as received; a store outage answers 503 so Meta retries."""

    name = "ack"

    def __init__(self, store: Store, metrics: Metrics, wake_inbox: asyncio.Event) -> None:
        self.store = store
        self.metrics = metrics
        # set after each write so an inbox worker in this process (or, through the supervisor,
        # in its child) claims at once instead of at its next poll
        self.wake_inbox = wake_inbox

    async def __call__(self, ctx: Ingress) -> dict[str, Any]:
        assert ctx.channel is not None  # the parse stage set it
        event_id = os.urandom(16).hex()  # 128 random bits, as uuid4 without its object
        event = InboxEvent(
            event_id=event_id,
            channel=ctx.channel,
            raw=ctx.body,
            received_at=ctx.received_at,
            correlation_id=ctx.correlation_id,
        )
        try:
            await self.store.inbox_put(event)
        except Exception as exc:
            if not is_transient(exc):
                raise  # a bug: the route answers 500 and logs the traceback
            # an outage only: Meta retries and the retry can succeed
            raise Reject(
                503,
                "store_unavailable",
                f"the inbox could not store the event ({type(exc).__name__})",
                "Meta will retry; check GATEWAY_STORE and /ready",
            ) from None
        self.wake_inbox.set()
        self.metrics.child(self.metrics.inbound, ctx.channel, "accepted").inc()
        return {"event_id": event_id}
