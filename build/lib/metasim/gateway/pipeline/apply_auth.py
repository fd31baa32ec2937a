"""Stage 6: bind the client's Graph credentials and the channel's send URL to the job."""

from __future__ import annotations

from typing import Any

from metasim.gateway.pipeline.base import Job, Stop

NAME = "apply_auth"


async def run(job: Job) -> dict[str, Any]:
    """The token itself stays on the Client object: it is never copied into logs or the outbox."""
    assert job.client is not None
    base = job.runtime.settings.send_url(job.channel)
    if not base:
        raise Stop(
            "quarantined",
            "no-send-url",
            quarantine=True,
            hint="set WA_SEND_URL / IG_SEND_URL / MSG_SEND_URL",
        )
    job.send_url_base = base
    return {"client_id": job.client.client_id, "auth": "bearer", "send_url_base": base}
