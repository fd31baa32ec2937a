"""Stage 6: bind the client's Graph credentials and the channel's send URL to the job."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from metasim.gateway.pipeline.base import Job, Stop


class ApplyAuth:
    """The token itself stays on the Client object: it is never copied into logs or the outbox."""

    name = "apply_auth"

    def __init__(self, send_url: Callable[[str], str | None]) -> None:
        self.send_url = send_url  # the channel's Graph base URL (WA_SEND_URL ...), or None

    async def __call__(self, job: Job) -> dict[str, Any]:
        assert job.client is not None
        base = self.send_url(job.channel)
        if not base:
            raise Stop(
                "quarantined",
                "no-send-url",
                quarantine=True,
                hint="set WA_SEND_URL / IG_SEND_URL / MSG_SEND_URL",
            )
        job.send_url_base = base
        return {"client_id": job.client.client_id, "auth": "bearer", "send_url_base": base}
