"""Stage 9: a (channel, msg_id) seen inside DEDUPE_WINDOW_SECONDS gets no second reply."""

from __future__ import annotations

from typing import Any

from metasim.gateway.pipeline.base import Job, Stop

NAME = "dedupe"


async def run(job: Job) -> dict[str, Any]:
    """Keyed on Meta's message id, not the body bytes: a redelivery may differ byte for byte."""
    assert job.msg_id is not None  # the contract stage guarantees it
    first = await job.runtime.store.dedupe_first(
        job.channel, job.msg_id, job.runtime.settings.dedupe_window_seconds
    )
    if first:
        return {"first": True}
    if job.redelivered:
        # the same inbox event claimed again after a worker died mid-way: this update may have
        # been marked seen without reaching the outbox, so it goes on; the outbox key (one item
        # per inbound message, ever) still guarantees at most one reply
        return {"first": False, "resumed": True}
    raise Stop("duplicate", "duplicate")
