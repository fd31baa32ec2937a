"""Stage 13: dead letters are replayed on the DLQ_CRON schedule (delegates to gateway.outbound)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gateway.runtime import Runtime

NAME = "dlq"


async def run(runtime: Runtime, now: float) -> Any:
    """One scheduler tick; the DlqScheduler logs one ``dlq`` line per replayed item."""
    from gateway.outbound.dlq_scheduler import DlqScheduler

    return await DlqScheduler(runtime).tick(now)
