"""The HTTP process's side of a worker that runs as its own process (``metasim-gateway worker``)."""

from __future__ import annotations

from typing import Any

from metasim.gateway.runtime import WorkerUnavailable


class SeparateWorker:
    """No link at all: the two processes share only the store.

    The worker claims what the HTTP process stored at its poll (WORKER_POLL_SECONDS), and what
    only the worker holds in memory (recent envelopes, the tamper probe) is asked of the
    worker's own probe port, not of this process.
    """

    async def call(self, op: str, **args: Any) -> Any:
        raise WorkerUnavailable(
            "the worker runs as a separate process (metasim-gateway worker): this process "
            "does not hold the envelopes or the tamper probe",
            hint="ask the worker's probe port (metasim-gateway worker --port N) the same path",
        )
