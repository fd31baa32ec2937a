"""Short crash-recovery run: the gateway SIGKILLed twice under load still replies exactly once."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.load.chaos import sigkill_scenario

pytestmark = pytest.mark.slow


def test_gateway_killed_twice_under_load_loses_and_doubles_nothing(tmp_path: Path) -> None:
    result = sigkill_scenario(duration=6, rate=10, kills=2, drain=45, workdir=tmp_path)
    acc, traffic = result.accounting, result.traffic
    print(result.summary())
    assert result.crashes == 2, "every scheduled crash and restart happened"
    # the kills really happened: webhooks were refused while the gateway was down, and retried
    assert traffic.refused > 0
    assert traffic.sent == 60 and not traffic.unacked, "every webhook is ACKed in the end"
    assert acc.total == len(traffic.acked) == 60
    assert acc.lost == [], acc.table()
    assert acc.doubled == {}, acc.table()
    # an ambiguous send (killed mid-send) is parked with its reason, never sent again
    assert set(acc.dead_lettered.values()) <= {"inflight-at-crash"}
    assert len(acc.replied_once) + len(acc.dead_lettered) == 60
