"""Replays the dead-letter queue on the DLQ_CRON schedule (backlog W8_DLQ_HANDLER, P1-06)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from croniter import croniter

from metasim.gateway.observability.logs import log_event, log_exception
from metasim.gateway.observability.metrics import Metrics

if TYPE_CHECKING:
    from metasim.gateway.runtime import Runtime, WorkerHealth
    from metasim.gateway.store.base import Store

NAME = "dlq-scheduler"


class DlqScheduler:
    """At each cron time, puts every replayable dead letter back in the outbox.

    Replayable = the failure was retryable (rate limit, outage, timeout) and only ran out of
    attempts. Permanent failures (bad token, invalid recipient...) and ``inflight-at-crash``
    items (the send may have happened) stay until someone replays them by hand, with force.
    """

    def __init__(
        self,
        store: Store,
        metrics: Metrics,
        clock: Callable[[], float],
        cron: str,
        *,
        health: WorkerHealth,
        wake_outbox: asyncio.Event,
    ) -> None:
        self.store, self.metrics, self.clock, self.cron = store, metrics, clock, cron
        self.health, self.wake_outbox = health, wake_outbox

    @classmethod
    def from_runtime(cls, rt: Runtime) -> DlqScheduler:
        return cls(rt.store, rt.metrics, rt.clock, rt.settings.dlq_cron,
                   health=rt.health, wake_outbox=rt.wake_outbox)  # fmt: skip

    def next_fire(self, now: float) -> float:
        """The next cron time strictly after ``now`` (epoch seconds, UTC)."""
        return float(croniter(self.cron, now).get_next(float))

    async def run(self, stop: asyncio.Event) -> None:
        """Sleep until each cron time (or ``stop``) and tick."""
        self.health.stopped.discard(NAME)
        log_event("INFO", f"DLQ replay scheduled: {self.cron}", stage="dlq", cron=self.cron)
        try:
            while not stop.is_set():
                now = self.clock()
                self.health.beat(NAME, now)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), max(0.0, self.next_fire(now) - now))
                if stop.is_set():
                    break
                try:
                    await self.tick(self.clock())
                except Exception as exc:  # a store outage skips one tick, never the schedule
                    self.metrics.errors.labels("all", "dlq_scheduler").inc()
                    log_exception(
                        "ERROR",
                        f"DLQ replay failed: {type(exc).__name__}: {exc}",
                        exc,
                        stage="dlq",
                    )
        finally:
            self.health.stopped.add(NAME)

    async def tick(self, now: float) -> list[str]:
        """Replay what is replayable now; the keys put back in the outbox."""
        keys = await self.store.dlq_replay(None, now)
        for key in keys:
            item = await self.store.outbox_get(key)
            channel = item.channel if item else key.split(":", 1)[0]
            self.metrics.outbound.labels(channel, "replayed").inc()
            log_event(
                "INFO",
                "replayed from the DLQ",
                stage="dlq",
                channel=channel,
                msg_id=item.msg_id if item else None,
                correlation_id=item.correlation_id if item else None,
                key=key,
                by="schedule",
            )
        if keys:
            self.wake_outbox.set()
        log_event("INFO", f"DLQ tick: {len(keys)} replayed", stage="dlq", replayed=len(keys))
        return keys
