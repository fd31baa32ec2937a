"""The retention sweep: sent replies, quarantined events and dedupe marks past their keep time."""

from __future__ import annotations

import asyncio
import contextlib

from metasim.gateway.observability.logs import log_event, log_exception
from metasim.gateway.runtime import Runtime

NAME = "retention"


class RetentionSweeper:
    """Every RETENTION_SWEEP_SECONDS, asks the store to drop what outlived its retention.

    Runs beside the outbox sender (one per worker process; two sweeps at once are harmless,
    each delete is idempotent). A failed sweep is logged and tried again at the next tick:
    the store only grows a little meanwhile, nothing is lost.
    """

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.every = runtime.settings.retention_sweep_seconds

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.sweep()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.every)

    async def sweep(self) -> dict[str, int]:
        """One pass; the counts dropped per kind (empty when the store failed)."""
        rt = self.runtime
        try:
            dropped = await rt.store.expire(rt.clock())
        except Exception as exc:
            rt.metrics.errors.labels("all", "retention").inc()
            log_exception("ERROR", f"retention sweep failed: {type(exc).__name__}: {exc}", exc,
                          stage=NAME)  # fmt: skip
            return {}
        if any(dropped.values()):
            log_event("INFO", "expired records dropped", stage=NAME, dropped=dropped)
        return dropped
