"""The parts every route and loop of one gateway process shares, built once by the app factory."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from metasim.gateway.observability.metrics import Metrics
from metasim.gateway.pipeline.probes import Probes
from metasim.gateway.settings import Settings
from metasim.gateway.tenants import Tenants

if TYPE_CHECKING:
    from metasim.gateway.outbound.graph_client import GraphClient
    from metasim.gateway.store.base import Store


class WorkerLink(Protocol):
    """The HTTP process's line to its worker process (metasim.gateway.split.supervisor)."""

    async def call(self, op: str, **args: Any) -> Any: ...


# what the admin API says with a WorkerUnavailable: the supervised worker comes back by itself
RESTART_HINT = 'retry in a few seconds: /ready says "worker": "alive" once it is up again'


class WorkerUnavailable(RuntimeError):
    """The worker process is down (restarting), did not answer in time, or is not linked."""

    def __init__(self, message: str, hint: str = RESTART_HINT) -> None:
        super().__init__(message)
        self.hint = hint


@dataclass
class WorkerHealth:
    """Heartbeats the workers write and ``/ready`` reads (a stale heartbeat = not alive)."""

    beats: dict[str, float] = field(default_factory=dict)
    stopped: set[str] = field(default_factory=set)
    # the worker runs as its own process (metasim-gateway http): no heartbeat reaches this one
    elsewhere: bool = False

    def beat(self, name: str, now: float) -> None:
        self.beats[name] = now

    @staticmethod
    def max_age(settings: Settings) -> float:
        """How old a heartbeat may be for its loop to count as alive: a few polls, or 5 s."""
        return max(5.0, settings.worker_poll_seconds * 20)

    def alive_names(self, now: float, max_age: float) -> list[str]:
        """The loops whose heartbeat is fresh (what the worker process reports to /ready)."""
        return [name for name in self.beats if self.alive(name, now, max_age)]

    def alive(self, name: str, now: float, max_age: float) -> bool:
        at = self.beats.get(name)
        return name not in self.stopped and at is not None and now - at <= max_age


@dataclass
class Runtime:
    """The parts routes and loops share, built once per process by the app factory.

    Stages never see it: ``pipeline.build`` hands each stage only the parts it needs.
    """

    settings: Settings
    store: Store
    metrics: Metrics
    tenants: Tenants
    graph: GraphClient
    clock: Callable[[], float] = time.time
    health: WorkerHealth = field(default_factory=WorkerHealth)
    # set by the webhook route after an inbox write / by the pipeline after an outbox write, so
    # workers wake at once instead of waiting for their next poll (end-to-end latency)
    wake_inbox: asyncio.Event = field(default_factory=asyncio.Event)
    wake_outbox: asyncio.Event = field(default_factory=asyncio.Event)
    # what the processing stages keep for the admin API (recent envelopes, the tamper probe)
    probes: Probes = field(default_factory=Probes)
    # set in an HTTP process whose stages run in another process: the admin API's questions
    # about the probes go through it (None: the stages run here, ``probes`` answers)
    link: WorkerLink | None = None

    async def ask_worker(self, op: str, **args: Any) -> Any:
        """Ask the probes where the stages run: here, or through the worker link."""
        if self.link is not None:
            return await self.link.call(op, **args)
        return self.probes.call(op, **args)
