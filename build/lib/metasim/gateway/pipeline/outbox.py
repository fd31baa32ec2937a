"""Stage 11: the reply goes to the outbox, one item per inbound (channel, msg_id), ever."""

from __future__ import annotations

from typing import Any

from metasim.gateway.pipeline.base import Job, Stop
from metasim.gateway.store.base import OutboxItem

NAME = "outbox"


async def run(job: Job) -> dict[str, Any]:
    """The store refuses a second item for the same key, so a reply is never queued twice."""
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
    now = job.runtime.clock()
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
        next_attempt_at=now,
    )
    if not await job.runtime.store.outbox_put(item):
        raise Stop("duplicate", "reply-already-queued", key=item.key)
    job.runtime.metrics.child(job.runtime.metrics.outbound, job.channel, "queued").inc()
    job.runtime.wake_outbox.set()
    return {"key": item.key, "url": url}
