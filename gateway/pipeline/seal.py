"""Stage 7: seal the envelope (HMAC, GATEWAY_SEAL_KEY); the runner checks the seal before each later stage."""

from __future__ import annotations

from typing import Any

from metasim.gateway import seal as sealing
from metasim.gateway.pipeline.base import Job
from metasim.gateway.pipeline.probes import TamperProbe


class Seal:
    """Seals with the key the processing lane checks; ``tamper`` is None in prod."""

    name = "seal"

    def __init__(self, key: bytes, tamper: TamperProbe | None) -> None:
        self.key = key
        self.tamper = tamper

    async def __call__(self, job: Job) -> dict[str, Any]:
        job.seal = sealing.seal(job.envelope, self.key)
        if self.tamper is not None and self.tamper.take():
            # the armed test probe (POST /admin/probes/tamper-seal): change the envelope without
            # re-sealing it, as a faulty or hostile stage would; the runner must catch it
            job.envelope["text"] = str(job.envelope.get("text", "")) + " [tampered]"
        return {"sealed": True}
