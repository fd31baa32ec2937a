"""Stage 8: the client's Graph token is set and not past its known expiry."""

from __future__ import annotations

from typing import Any

from metasim.gateway.pipeline.base import Job, Stop

NAME = "token_ok"


async def run(job: Job) -> dict[str, Any]:
    """A reply sent with a dead token would fail with Graph code 190: quarantine instead."""
    assert job.client is not None
    if not job.client.graph_token:
        raise Stop("quarantined", "token-missing", quarantine=True, client_id=job.client.client_id)
    if not job.client.token_ok(job.runtime.clock()):
        raise Stop("quarantined", "token-expired", quarantine=True, client_id=job.client.client_id)
    return {"token": "ok"}
