"""Store fixtures: the same contract tests run on SQLite and on a real Redis server."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from metasim.gateway.store import open_store
from metasim.gateway.store.base import Store
from metasim.simulator.load.redis_server import redis_server

_prefixes = itertools.count()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One Redis server for the session, started and stopped here."""
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


class Clock:
    """A settable clock for the store (leases, SQLite dedupe window, dead-letter times)."""

    def __init__(self, now: float = 1_750_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["sqlite", "redis"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh store URL: a new SQLite file, or a new key prefix on the session's Redis."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'gateway.db'}"
    base: str = request.getfixturevalue("redis_url")
    return f"{base}?prefix=t{next(_prefixes)}"


@pytest.fixture
async def store(store_url: str, clock: Clock) -> AsyncIterator[Store]:
    s = open_store(store_url, clock=clock)
    yield s
    await s.close()
