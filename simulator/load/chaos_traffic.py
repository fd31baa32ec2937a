"""Steady signed WA / IG / Messenger texts with unique tokens, retried and redelivered as by Meta."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from metasim.simulator.context import Tenant
from metasim.simulator.load.profiles import Profile, Webhook, WebhookFactory


@dataclass
class Traffic:
    """What a run sent: ``acked`` maps msg_id -> token for every event answered 200."""

    acked: dict[str, str] = field(default_factory=dict)
    sent: int = 0
    posts: int = 0
    refused: int = 0  # connection refused / reset / 5xx: the gateway or its store was down
    redeliveries: int = 0
    unacked: list[str] = field(default_factory=list)  # gave up before any 200 (should be none)


@dataclass
class TrafficPlan:
    """A steady rate of events for ``duration`` seconds, spread over ``gateways`` processes."""

    secret: str
    url: Callable[[str, int], str]  # (channel, gateway index) -> webhook URL
    rate: float = 20.0
    duration: float = 10.0
    gateways: int = 1
    redelivery_rate: float = 0.2  # share of ACKed events Meta sends again
    seed: int = 7
    give_up_after: float = 60.0  # Meta retries for days; a run stops retrying after this
    channels: tuple[str, ...] = ("wa", "ig", "msg")  # those the gateway serves
    tenant: dict[str, str] = field(default_factory=dict)  # context.Tenant ids; {}: the default


def chaos_profile(plan: TrafficPlan) -> Profile:
    """Texts only (each tracked by its token), one per webhook, the three channels evenly."""
    return Profile(
        "chaos",
        rate=plan.rate,
        duration=plan.duration,
        users=1,
        channels=dict.fromkeys(plan.channels, 1.0),
        untracked_share=0.0,
        batch_share=0.0,
        redelivery=plan.redelivery_rate,
        fault_rates={},
        description="crash recovery: steady tracked texts while processes are killed",
    )


async def run_traffic(plan: TrafficPlan) -> Traffic:
    """Send ``rate * duration`` events; retry each until a 200 (as Meta does), then maybe again."""
    traffic = Traffic()
    rng = random.Random(plan.seed)
    tenant = Tenant(**plan.tenant) if plan.tenant else None
    factory = WebhookFactory(chaos_profile(plan), plan.secret, plan.seed, tenant)
    total = int(plan.rate * plan.duration)
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=16)
    async with httpx.AsyncClient(timeout=5.0, limits=limits) as http:
        tasks = []
        loop = asyncio.get_running_loop()
        start = loop.time()
        for n in range(total):
            # a steady schedule: event n leaves at n / rate, whatever the gateway's state
            await asyncio.sleep(max(0.0, start + n / plan.rate - loop.time()))
            hook = factory.next()
            redeliver = rng.random() < plan.redelivery_rate
            tasks.append(
                asyncio.create_task(_one(http, plan, traffic, hook, n % plan.gateways, redeliver))
            )
        await asyncio.gather(*tasks)
    return traffic


async def _one(
    http: httpx.AsyncClient,
    plan: TrafficPlan,
    traffic: Traffic,
    hook: Webhook,
    gateway: int,
    redeliver: bool,
) -> None:
    traffic.sent += 1
    if not await _until_ok(http, plan, traffic, hook, gateway):
        traffic.unacked.extend(hook.tracked.values())
        return
    traffic.acked.update(hook.tracked)
    if redeliver:
        # the same bytes again, to the other process when there are two: must never reply twice
        traffic.redeliveries += 1
        await _until_ok(http, plan, traffic, hook, (gateway + 1) % plan.gateways)


async def _until_ok(
    http: httpx.AsyncClient,
    plan: TrafficPlan,
    traffic: Traffic,
    hook: Webhook,
    gateway: int,
) -> bool:
    """POST until a 200; the delay grows like Meta's retries, shortened to fit a test run."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + plan.give_up_after
    wait = 0.2
    while True:
        traffic.posts += 1
        try:
            url = plan.url(hook.channel, gateway)
            r = await http.post(url, content=hook.body, headers=hook.headers)
            if r.status_code == 200:
                return True
            if r.status_code < 500:
                raise RuntimeError(
                    f"gateway {gateway} refused a well-signed {hook.channel} text with "
                    f"{r.status_code}: {r.text[:200]} (check the secret and clients file)"
                )
        except httpx.TransportError:
            pass  # killed or restarting: Meta would retry, so do we
        traffic.refused += 1
        if loop.time() + wait > deadline:
            return False
        await asyncio.sleep(wait)
        wait = min(wait * 2, 2.0)
