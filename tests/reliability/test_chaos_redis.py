"""Short crash-recovery run: Redis SIGKILLed and restarted under two gateways loses nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.load.chaos import redis_scenario

pytestmark = pytest.mark.slow


def test_redis_killed_under_two_gateways_loses_and_doubles_nothing(tmp_path: Path) -> None:
    result = redis_scenario(duration=6, rate=10, restarts=1, drain=50, workdir=tmp_path)
    acc, traffic = result.accounting, result.traffic
    print(result.summary())
    assert result.crashes == 1, "every scheduled crash and restart happened"
    assert traffic.sent == 60 and not traffic.unacked, "every webhook is ACKed in the end"
    assert acc.total == len(traffic.acked) == 60
    assert acc.lost == [], acc.table()
    assert acc.doubled == {}, acc.table()
    assert set(acc.dead_lettered.values()) <= {"inflight-at-crash"}
    assert len(acc.replied_once) + len(acc.dead_lettered) == 60
    # Redis came back with the data: the ACKed events were still there to be replied to
    assert len(acc.replied_once) > 0
