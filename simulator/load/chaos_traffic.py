"""Steady signed WA / IG / Messenger texts with unique tokens, redelivered like Meta does."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from simulator.catalogue import build
from simulator.context import BuildContext
from simulator.signing import meta_bytes, signature_headers

CHANNELS = ("wa", "ig", "msg")
# where the text and the message id sit in each channel's native payload (META-CONTRACT)
TEXT_PATH = {
    "wa": "entry.0.changes.0.value.messages.0.text.body",
    "ig": "entry.0.messaging.0.message.text",
    "msg": "entry.0.messaging.0.message.text",
}


def message_id(channel: str, payload: dict[str, Any]) -> str:
    """The inbound message id the gateway keys its outbox on: wamid for WA, mid otherwise."""
    entry = payload["entry"][0]
    if channel == "wa":
        return str(entry["changes"][0]["value"]["messages"][0]["id"])
    return str(entry["messaging"][0]["message"]["mid"])


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
    run_id: str = "chaos"


async def run_traffic(plan: TrafficPlan) -> Traffic:
    """Send ``rate * duration`` events; retry each until a 200 (as Meta does), then maybe again."""
    traffic = Traffic()
    rng = random.Random(plan.seed)
    total = int(plan.rate * plan.duration)
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=16)
    async with httpx.AsyncClient(timeout=5.0, limits=limits) as http:
        tasks = []
        loop = asyncio.get_running_loop()
        start = loop.time()
        for n in range(total):
            # a steady schedule: event n leaves at n / rate, whatever the gateway's state
            await asyncio.sleep(max(0.0, start + n / plan.rate - loop.time()))
            channel = CHANNELS[n % len(CHANNELS)]
            redeliver = rng.random() < plan.redelivery_rate
            tasks.append(asyncio.create_task(_one(http, plan, traffic, n, channel, redeliver)))
        await asyncio.gather(*tasks)
    return traffic


async def _one(
    http: httpx.AsyncClient,
    plan: TrafficPlan,
    traffic: Traffic,
    n: int,
    channel: str,
    redeliver: bool,
) -> None:
    token = f"{plan.run_id}-{plan.seed}-{n:06d}"
    payload = build(
        f"{channel}.text",
        BuildContext.seeded(plan.seed * 1_000_003 + n),
        overrides={TEXT_PATH[channel]: f"chaos token {token}"},
    )
    body = meta_bytes(payload)
    headers = {"Content-Type": "application/json", **signature_headers(plan.secret, body)}
    traffic.sent += 1
    gateway = n % plan.gateways
    if not await _until_ok(http, plan, traffic, channel, gateway, body, headers):
        traffic.unacked.append(token)
        return
    traffic.acked[message_id(channel, payload)] = token
    if redeliver:
        # the same bytes again, to the other process when there are two: must never reply twice
        traffic.redeliveries += 1
        await _until_ok(http, plan, traffic, channel, (gateway + 1) % plan.gateways, body, headers)


async def _until_ok(
    http: httpx.AsyncClient,
    plan: TrafficPlan,
    traffic: Traffic,
    channel: str,
    gateway: int,
    body: bytes,
    headers: dict[str, str],
) -> bool:
    """POST until a 200; the delay grows like Meta's retries, shortened to fit a test run."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + plan.give_up_after
    wait = 0.2
    while True:
        traffic.posts += 1
        try:
            r = await http.post(plan.url(channel, gateway), content=body, headers=headers)
            if r.status_code == 200:
                return True
            if r.status_code < 500:
                raise RuntimeError(
                    f"gateway {gateway} refused a well-signed {channel} text with "
                    f"{r.status_code}: {r.text[:200]} (check the secret and clients file)"
                )
        except httpx.TransportError:
            pass  # killed or restarting: Meta would retry, so do we
        traffic.refused += 1
        if loop.time() + wait > deadline:
            return False
        await asyncio.sleep(wait)
        wait = min(wait * 2, 2.0)
