"""Stage 7: seal the envelope (HMAC, GATEWAY_SEAL_KEY); the runner checks the seal before each later stage."""

from __future__ import annotations

from typing import Any

from metasim.gateway import seal as sealing
from metasim.gateway.pipeline.base import Job

NAME = "seal"


async def run(job: Job) -> dict[str, Any]:
    rt = job.runtime
    job.seal = sealing.seal(job.envelope, rt.seal_key)
    if rt.tamper_seals > 0 and rt.settings.env != "prod":
        # the armed test probe (POST /admin/probes/tamper-seal): change the envelope without
        # re-sealing it, as a faulty or hostile stage would; the runner must catch it
        rt.tamper_seals -= 1
        job.envelope["text"] = str(job.envelope.get("text", "")) + " [tampered]"
    return {"sealed": True}
