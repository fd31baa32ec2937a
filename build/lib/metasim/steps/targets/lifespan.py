"""Drive an ASGI app's lifespan (startup / shutdown) in-process, as uvicorn would."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

ASGIApp = Callable[..., Awaitable[None]]


class LifespanError(RuntimeError):
    """The app failed to start or stop; the message carries the app's own reason."""


class Lifespan:
    """``await start()`` runs the app's startup; ``await stop()`` its shutdown."""

    def __init__(self, app: ASGIApp, timeout: float = 10.0) -> None:
        self.app = app
        self.timeout = timeout
        self._inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def _receive(self) -> dict[str, Any]:
        return await self._inbox.get()

    async def _send(self, message: dict[str, Any]) -> None:
        await self._outbox.put(message)

    async def _exchange(self, kind: str) -> None:
        await self._inbox.put({"type": f"lifespan.{kind}"})
        answer = await asyncio.wait_for(self._outbox.get(), self.timeout)
        if answer["type"] != f"lifespan.{kind}.complete":
            raise LifespanError(f"gateway {kind} failed: {answer.get('message', answer)}")

    async def start(self) -> None:
        """Run startup; raises LifespanError with the app's message if it fails."""
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": {}}
        self._task = asyncio.ensure_future(self.app(scope, self._receive, self._send))
        await self._exchange("startup")

    async def stop(self) -> None:
        """Run shutdown and wait for the app's lifespan task to end."""
        if self._task is None:
            return
        try:
            await self._exchange("shutdown")
        finally:
            task, self._task = self._task, None
            if not task.done():
                task.cancel()
            await asyncio.gather(task, return_exceptions=True)
