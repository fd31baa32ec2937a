"""Stage 8: the client's Graph token is set and not past its known expiry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from metasim.gateway.pipeline.base import Job, Stop


class TokenOk:
    """A reply sent with a dead token would fail with Graph code 190: quarantine instead."""

    name = "token_ok"

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock

    async def __call__(self, job: Job) -> dict[str, Any]:
        assert job.client is not None
        client_id = job.client.client_id
        if not job.client.graph_token:
            raise Stop("quarantined", "token-missing", quarantine=True, client_id=client_id)
        if not job.client.token_ok(self.clock()):
            raise Stop("quarantined", "token-expired", quarantine=True, client_id=client_id)
        return {"token": "ok"}
