"""The retention sweep: sent replies, quarantined events and dedupe marks past their keep time."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from metasim.gateway.observability.logs import log_event, log_exception
from metasim.gateway.observability.metrics import Metrics

if TYPE_CHECKING:
    from metasim.gateway.runtime import Runtime
    from metasim.gateway.store.base import Store

NAME = "retention"


class RetentionSweeper:
    """Every RETENTION_SWEEP_SECONDS, asks the store to drop what outlived its retention.

    Runs beside the outbox sender (one per worker process; two sweeps at once are harmless,
    each delete is idempotent). A failed sweep is logged and tried again at the next tick:
    the store only grows a little meanwhile, nothing is lost.
    """

    def __init__(
        self, store: Store, metrics: Metrics, clock: Callable[[], float], every: float
    ) -> None:
        self.store, self.metrics, self.clock, self.every = store, metrics, clock, every

    @classmethod
    def from_runtime(cls, rt: Runtime) -> RetentionSweeper:
        return cls(rt.store, rt.metrics, rt.clock, rt.settings.retention_sweep_seconds)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.sweep()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.every)

    async def sweep(self) -> dict[str, int]:
        """One pass; the counts dropped per kind (empty when the store failed)."""
        try:
            dropped = await self.store.expire(self.clock())
        except Exception as exc:
            self.metrics.errors.labels("all", "retention").inc()
            log_exception("ERROR", f"retention sweep failed: {type(exc).__name__}: {exc}", exc,
                          stage=NAME)  # fmt: skip
            return {}
        if any(dropped.values()):
            log_event("INFO", "expired records dropped", stage=NAME, dropped=dropped)
        return dropped
