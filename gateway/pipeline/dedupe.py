"""Stage 9: a (channel, msg_id) seen inside DEDUPE_WINDOW_SECONDS gets no second reply."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from metasim.gateway.pipeline.base import Job, Stop

if TYPE_CHECKING:
    from metasim.gateway.store.base import Store


class Dedupe:
    """Keyed on Meta's message id, not the body bytes: a redelivery may differ byte for byte."""

    name = "dedupe"

    def __init__(self, store: Store, window_seconds: float) -> None:
        self.store = store
        self.window_seconds = window_seconds

    async def __call__(self, job: Job) -> dict[str, Any]:
        assert job.msg_id is not None  # the contract stage guarantees it
        if await self.store.dedupe_first(job.channel, job.msg_id, self.window_seconds):
            return {"first": True}
        if job.redelivered:
            # the same inbox event claimed again after a worker died mid-way: this update may
            # have been marked seen without reaching the outbox, so it goes on; the outbox key
            # (one item per inbound message, ever) still guarantees at most one reply
            return {"first": False, "resumed": True}
        raise Stop("duplicate", "duplicate")
