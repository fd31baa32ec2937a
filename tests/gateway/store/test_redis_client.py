"""The Redis client's timeouts: a Redis that hangs (accepts, never answers) must not hang the ACK."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator

import httpx
import pytest

from metasim.gateway.app import build_app
from metasim.gateway.store import open_store
from metasim.gateway.store.redis import RedisStore
from tests.gateway.conftest import make_runtime, meta_bytes, sign

pytestmark = pytest.mark.anyio
# far above the 2 s timeout: only a gateway that hangs on Redis reaches it
HANG = 30.0


@pytest.fixture
def hanging_redis() -> Iterator[tuple[str, list[socket.socket]]]:
    """A TCP server that accepts connections but never answers a byte: (its URL, the
    connections it accepted; the client opens a new one for each attempt)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            held.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"redis://127.0.0.1:{server.getsockname()[1]}/0", held
    finally:
        stop.set()
        thread.join(timeout=2)
        for conn in held:
            conn.close()
        server.close()


def test_timeouts_are_set_by_default_and_can_be_overridden_in_the_url() -> None:
    default = open_store("redis://127.0.0.1:6399/0")
    tuned = open_store("redis://127.0.0.1:6399/0?socket_timeout=0.5&prefix=x")
    assert isinstance(default, RedisStore) and isinstance(tuned, RedisStore)
    kwargs = default.r.connection_pool.connection_kwargs
    assert kwargs["socket_timeout"] == 2.0 and kwargs["socket_connect_timeout"] == 2.0
    assert kwargs["health_check_interval"] == 30.0
    assert tuned.r.connection_pool.connection_kwargs["socket_timeout"] == 0.5
    assert tuned.prefix == "x"


async def test_a_hanging_redis_answers_the_webhook_503_within_the_timeout(
    hanging_redis: tuple[str, list[socket.socket]],
) -> None:
    url, connections = hanging_redis
    rt = make_runtime()
    rt.store = open_store(url)  # the gateway's own defaults (a 2 s command timeout, above)
    body = meta_bytes({"object": "whatsapp_business_account", "entry": []})
    transport = httpx.ASGITransport(app=build_app(rt))
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as c:
        # without the timeouts the POST would wait forever: the bound only catches a hang
        post = c.post("/webhook/wa", content=body, headers={"X-Hub-Signature-256": sign(body)})
        r = await asyncio.wait_for(post, HANG)
    await rt.store.close()
    assert r.status_code == 503 and r.json()["error"]["code"] == "store_unavailable"
    # one attempt, not retried on another connection: the command may have run
    assert len(connections) == 1, f"{len(connections)} connections: the write was retried"
