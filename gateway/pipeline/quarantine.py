"""Quarantine: keep the whole raw webhook (replayable) with where the update sits and why."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from metasim.gateway.pipeline.base import Job
from metasim.gateway.store.base import Quarantined

if TYPE_CHECKING:
    from metasim.gateway.store.base import Store


class Quarantine:
    """Writes one quarantine record per stopped update (or whole event) to the store."""

    def __init__(self, store: Store, clock: Callable[[], float]) -> None:
        self.store = store
        self.clock = clock

    async def __call__(self, job: Job, reason: str, detail: dict[str, Any]) -> None:
        record = Quarantined(
            quarantine_id=uuid.uuid4().hex,
            channel=job.channel,
            reason=reason,
            raw=job.event.raw,
            correlation_id=job.event.correlation_id,
            at=self.clock(),
            detail={
                "event_id": job.event.event_id,
                "where": job.update.where,
                "msg_id": job.msg_id,
                "kind": job.update.kind,
                **json.loads(json.dumps(detail, default=str)),
            },
        )
        await self.store.quarantine_put(record)
