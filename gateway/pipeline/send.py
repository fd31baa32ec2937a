"""Stage 12: due outbox items are sent to the Graph API (delegates to gateway.outbound)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gateway.runtime import Runtime

NAME = "send"


async def run(runtime: Runtime) -> int:
    """Send what is due once; the OutboxWorker logs one ``send`` line per item."""
    from gateway.outbound.worker import OutboxWorker

    return await OutboxWorker(runtime).run_once()
