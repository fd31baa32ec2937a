"""Stage 5: the business id the event was addressed to names a client of the clients file."""

from __future__ import annotations

from typing import Any

from metasim.gateway.pipeline.base import Job, Stop

NAME = "resolve_client"


async def run(job: Job) -> dict[str, Any]:
    """Unknown tenant -> quarantined, never answered (no client, no token to answer with)."""
    tenant_id = job.update.tenant_id
    client = job.runtime.tenants.resolve(job.channel, tenant_id)
    if client is None:
        raise Stop("quarantined", "unknown-tenant", quarantine=True, tenant_id=tenant_id)
    job.client = client
    job.envelope["client_id"] = client.client_id
    return {"client_id": client.client_id, "tenant_id": tenant_id}
