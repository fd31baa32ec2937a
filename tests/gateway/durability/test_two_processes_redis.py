"""Two gateway processes on one Redis under a redelivery storm send no duplicate reply."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
import redis

from metasim.simulator.load.redis_server import redis_server
from metasim.steps.poll import eventually
from tests.gateway.durability.harness import (
    CountingGraph,
    Gateway,
    gateway_env,
    signed_text,
)

pytestmark = pytest.mark.slow
MESSAGES = 30
COPIES = 4  # each event delivered 4 times, alternately to both gateways, all at once


async def _storm(urls: list[str]) -> int:
    events = [signed_text(i, seed=23) for i in range(MESSAGES)]
    async with httpx.AsyncClient(timeout=10) as http:

        async def one(url: str, body: bytes, headers: dict[str, str]) -> int:
            return (await http.post(f"{url}/webhook/wa", content=body, headers=headers)).status_code

        jobs = [
            one(urls[(i + c) % 2], body, headers)
            for c in range(COPIES)
            for i, (_, body, headers) in enumerate(events)
        ]
        codes = await asyncio.gather(*jobs)
    return sum(1 for c in codes if c == 200)


def _settled(url: str) -> bool:
    r = redis.Redis.from_url(url)
    try:
        pending = r.llen("gw:inbox:new") + r.zcard("gw:inbox:leased")
        return int(pending) + int(r.zcard("gw:due")) + int(r.zcard("gw:inflight")) == 0
    finally:
        r.close()


def test_two_gateways_on_one_redis_reply_once_per_message(tmp_path: Path) -> None:
    with redis_server(tmp_path) as url, CountingGraph() as graph:
        gateways = [
            Gateway(gateway_env(url, graph.base, tmp_path / f"gw{n}.log")) for n in range(2)
        ]
        try:
            acked = asyncio.run(_storm([g.url for g in gateways]))
            assert acked == MESSAGES * COPIES
            assert eventually(
                lambda: _settled(url) and len(graph.replies) == MESSAGES,
                bool,
                timeout=60,
                interval=0.1,
            ), "waited 60 s for replies"
        finally:
            for g in gateways:
                g.stop()
    texts = {signed_text(i, seed=23)[0] for i in range(MESSAGES)}
    assert set(graph.replies) == texts
    assert all(count == 1 for count in graph.replies.values()), graph.replies.most_common(3)
