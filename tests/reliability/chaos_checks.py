"""The exactly-once verdict both short chaos runs must reach, checked item by item."""

from __future__ import annotations

from metasim.simulator.load.chaos import ChaosResult


def assert_exactly_once(result: ChaosResult, *, crashes: int, events: int) -> None:
    """Every crash happened, every webhook was ACKed, none lost or doubled, DLQ only ambiguous."""
    acc, traffic = result.accounting, result.traffic
    print(result.summary())
    assert result.crashes == crashes, "every scheduled crash and restart happened"
    assert traffic.sent == events and not traffic.unacked, "every webhook is ACKed in the end"
    assert acc.total == len(traffic.acked) == events
    assert acc.lost == [], acc.table()
    assert acc.doubled == {}, acc.table()
    # an ambiguous send (process or store died mid-send) is parked with its reason, not re-sent
    assert set(acc.dead_lettered.values()) <= {"inflight-at-crash"}
    assert len(acc.replied_once) + len(acc.dead_lettered) == events
    assert acc.replied_once, "the data survived: ACKed events were still there to reply to"
