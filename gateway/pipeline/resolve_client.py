"""Stage 5: the business id the event was addressed to names a client of the clients file."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from metasim.gateway.pipeline.base import Job, Stop

if TYPE_CHECKING:
    from metasim.gateway.tenants import Tenants


class ResolveClient:
    """Unknown tenant -> quarantined, never answered (no client, no token to answer with)."""

    name = "resolve_client"

    def __init__(self, tenants: Tenants) -> None:
        self.tenants = tenants

    async def __call__(self, job: Job) -> dict[str, Any]:
        tenant_id = job.update.tenant_id
        client = self.tenants.resolve(job.channel, tenant_id)
        if client is None:
            raise Stop("quarantined", "unknown-tenant", quarantine=True, tenant_id=tenant_id)
        job.client = client
        job.envelope["client_id"] = client.client_id
        return {"client_id": client.client_id, "tenant_id": tenant_id}
