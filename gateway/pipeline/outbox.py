"""Stage 11, the last: the reply goes to the outbox, one item per inbound (channel, msg_id), ever.

Sending is not a stage: the outbox worker (gateway/outbound/worker.py) claims due items,
sends them with retries, and dead-letters them; the DLQ schedule replays (dlq_scheduler.py).
They log as ``send`` and ``dlq``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from metasim.gateway.pipeline.base import Job, Stop
from metasim.gateway.store.base import OutboxItem

if TYPE_CHECKING:
    from metasim.gateway.observability.metrics import Metrics
    from metasim.gateway.store.base import Store


class Outbox:
    """The store refuses a second item for the same key, so a reply is never queued twice."""

    name = "outbox"

    def __init__(
        self,
        store: Store,
        metrics: Metrics,
        clock: Callable[[], float],
        wake_outbox: asyncio.Event,
    ) -> None:
        self.store = store
        self.metrics = metrics
        self.clock = clock
        self.wake_outbox = wake_outbox  # the sender claims at once instead of at its next poll

    async def __call__(self, job: Job) -> dict[str, Any]:
        assert job.client is not None and job.send_url_base is not None and job.reply is not None
        assert job.msg_id is not None
        # imported here so the webhook (ACK) path never loads the send side
        from metasim.gateway.outbound.requests import graph_request

        url, body = graph_request(
            job.channel,
            job.client,
            job.send_url_base,
            job.update.tenant_id,
            job.envelope["from"],
            job.reply,
        )
        item = OutboxItem(
            key=f"{job.channel}:{job.msg_id}",
            channel=job.channel,
            client_id=job.client.client_id,
            url=url,
            body=body,
            correlation_id=job.event.correlation_id,
            msg_id=job.msg_id,
            # when the webhook arrived, so the sender can observe end-to-end latency at send time
            created_at=job.event.received_at,
            next_attempt_at=self.clock(),
        )
        if not await self.store.outbox_put(item):
            raise Stop("duplicate", "reply-already-queued", key=item.key)
        self.metrics.child(self.metrics.outbound, job.channel, "queued").inc()
        self.wake_outbox.set()
        return {"key": item.key, "url": url}
