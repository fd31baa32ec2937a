"""The objects every route, stage and worker shares, built once by the app factory."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from metasim.gateway.envelopes import EnvelopeRing
from metasim.gateway.observability.metrics import Metrics
from metasim.gateway.settings import Settings
from metasim.gateway.tenants import Tenants

if TYPE_CHECKING:
    from metasim.gateway.outbound.graph_client import GraphClient
    from metasim.gateway.store.base import Store


class WorkerLink(Protocol):
    """The HTTP process's line to its worker process (metasim.gateway.split.supervisor)."""

    async def call(self, op: str, **args: Any) -> Any: ...


class WorkerUnavailable(RuntimeError):
    """The worker process is down (restarting) or did not answer in time."""


@dataclass
class WorkerHealth:
    """Heartbeats the workers write and ``/ready`` reads (a stale heartbeat = not alive)."""

    beats: dict[str, float] = field(default_factory=dict)
    stopped: set[str] = field(default_factory=set)

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
    """Settings, store, metrics, tenants, Graph client and clock, handed to everything."""

    settings: Settings
    store: Store
    metrics: Metrics
    tenants: Tenants
    graph: GraphClient
    clock: Callable[[], float] = time.time
    health: WorkerHealth = field(default_factory=WorkerHealth)
    # HMAC key sealing envelopes between stages: GATEWAY_SEAL_KEY, or a fresh random key per
    # process (envelopes are sealed and checked inside one process, so that is enough in dev)
    seal_key: bytes = field(default_factory=lambda: os.urandom(32), repr=False)
    # set by the webhook route after an inbox write / by the pipeline after an outbox write, so
    # workers wake at once instead of waiting for their next poll (end-to-end latency)
    wake_inbox: asyncio.Event = field(default_factory=asyncio.Event)
    wake_outbox: asyncio.Event = field(default_factory=asyncio.Event)
    # the canonical envelopes this process produced lately (GET /admin/envelopes?msg_id=)
    envelopes: EnvelopeRing = field(default_factory=EnvelopeRing)
    # test probe (never in prod): how many coming envelopes the seal stage alters after sealing,
    # so a black-box suite can see the runner reject a tampered envelope (T7)
    tamper_seals: int = 0
    # set in the HTTP process when the workers run in a child process: what the stages hold
    # (envelopes, the tamper probe) is asked of the child through it
    link: WorkerLink | None = None

    def __post_init__(self) -> None:
        if self.settings.seal_key:
            self.seal_key = self.settings.seal_key.encode("utf-8")

    async def find_envelopes(self, msg_id: str) -> dict[str, Any]:
        """The envelopes the processing side produced for ``msg_id`` and the ring's capacity."""
        if self.link is not None:
            found: dict[str, Any] = await self.link.call("envelopes", msg_id=msg_id)
            return found
        kept = self.envelopes.find(msg_id)
        return {"capacity": self.envelopes.capacity, "envelopes": [p.to_dict() for p in kept]}

    async def arm_tamper(self) -> int:
        """Arm the seal probe once more where the stages run; how many envelopes it will alter."""
        if self.link is not None:
            armed: int = (await self.link.call("tamper"))["armed"]
            return armed
        self.tamper_seals += 1
        return self.tamper_seals
