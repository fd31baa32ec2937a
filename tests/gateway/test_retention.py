"""The retention sweep, on a real SQLite store: what expires, what stays, and a failing store."""

from __future__ import annotations

from pathlib import Path

import pytest

from metasim.gateway.observability.metrics import Metrics
from metasim.gateway.retention import RetentionSweeper
from metasim.gateway.runtime import Runtime
from metasim.gateway.settings import Settings
from metasim.gateway.store import open_store
from metasim.gateway.store.base import OutboxItem, Quarantined
from metasim.gateway.tenants import Tenants
from tests.gateway.conftest import CLIENTS, Logs
from tests.gateway.store.conftest import Clock

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_retention_settings_are_read_from_the_env() -> None:
    s = Settings.from_env(
        {
            "OUTBOX_SENT_RETENTION_SECONDS": "60",
            "QUARANTINE_RETENTION_SECONDS": "120",
            "RETENTION_SWEEP_SECONDS": "5",
        }
    )
    assert (s.retention().sent_seconds, s.retention().quarantine_seconds) == (60.0, 120.0)
    assert s.retention_sweep_seconds == 5.0
    default = Settings.from_env({})
    # a week of sent replies (Meta's retry horizon, as the dedupe window), 30 days of quarantine
    assert default.retention().sent_seconds == default.dedupe_window_seconds == 7 * 86400
    assert default.retention().quarantine_seconds == 30 * 86400


async def test_a_sweep_drops_what_outlived_its_retention(tmp_path: Path, logs: Logs) -> None:
    clock = Clock()
    settings = Settings.from_env(
        {
            "GATEWAY_CLIENTS_FILE": CLIENTS,
            "OUTBOX_SENT_RETENTION_SECONDS": "60",
            "QUARANTINE_RETENTION_SECONDS": "120",
        }
    )
    store = open_store(
        f"sqlite:///{tmp_path / 'g.db'}", clock=clock, retention=settings.retention()
    )
    rt = Runtime(settings, store, Metrics(), Tenants.load(CLIENTS), None, clock=clock)  # type: ignore[arg-type]
    try:
        item = OutboxItem("wa:m1", "wa", "acme", "http://g/1/messages", {}, "c1", "m1")
        await store.outbox_put(item)
        await store.outbox_claim_due(clock.now, 10, 30)
        await store.outbox_sent("wa:m1", {})
        await store.quarantine_put(Quarantined("q1", "wa", "crash", b"{}", "c", clock.now, {}))
        await store.dedupe_first("wa", "m1", 30)
        sweeper = RetentionSweeper.from_runtime(rt)
        assert await sweeper.sweep() == {"sent": 0, "quarantined": 0, "dedupe": 0}
        clock.now += 61
        assert await sweeper.sweep() == {"sent": 1, "quarantined": 0, "dedupe": 1}
        clock.now += 60
        assert await sweeper.sweep() == {"sent": 0, "quarantined": 1, "dedupe": 0}
        assert await store.outbox_get("wa:m1") is None and await store.quarantine_depth() == 0
        assert [x["dropped"] for x in logs.lines if x["stage"] == "retention"] == [
            {"sent": 1, "quarantined": 0, "dedupe": 1},
            {"sent": 0, "quarantined": 1, "dedupe": 0},
        ]

        async def down(now: float) -> dict[str, int]:
            raise ConnectionError("store down")

        store.expire = down  # type: ignore[method-assign]
        assert await sweeper.sweep() == {}
        assert rt.metrics.value("errors_total", {"channel": "all", "kind": "retention"}) == 1
        assert any(x["level"] == "ERROR" and x["stage"] == "retention" for x in logs.lines)
    finally:
        await store.close()
