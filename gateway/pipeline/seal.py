"""Stage 7: seal the envelope (HMAC, GATEWAY_SEAL_KEY); the runner checks the seal before each later stage."""

from __future__ import annotations

from typing import Any

from gateway import seal as sealing
from gateway.pipeline.base import Job

NAME = "seal"


async def run(job: Job) -> dict[str, Any]:
    job.seal = sealing.seal(job.envelope, job.runtime.seal_key)
    return {"sealed": True}
