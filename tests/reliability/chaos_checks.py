"""The exactly-once verdict both short chaos runs must reach, checked item by item."""

from __future__ import annotations

from metasim.simulator.load.accounting import AMBIGUOUS
from metasim.simulator.load.chaos import ChaosResult

# a share of sends whose answer the fake loses (accepted by Graph, reply never known to the
# gateway): at 10 % a 60-event run is all but sure to meet some (0.9**60 = 0.2 % it meets none)
LOST_ANSWERS = 0.1


def assert_exactly_once(
    result: ChaosResult, *, crashes: int, events: int, lost_answers: bool = True
) -> None:
    """Every crash happened, every webhook was ACKed, none lost or doubled, DLQ only ambiguous.

    With ``lost_answers`` the fake lost some answers: each of those sends must be parked as
    ambiguous, not sent again (a re-send is a doubled reply, which the accounting catches).
    """
    acc, traffic = result.accounting, result.traffic
    print(result.summary())
    assert result.crashes == crashes, "every scheduled crash and restart happened"
    assert traffic.sent == events and not traffic.unacked, "every webhook is ACKed in the end"
    assert acc.total == len(traffic.acked) == events
    assert acc.lost == [], acc.table()
    assert acc.doubled == {}, acc.table()
    # an ambiguous send (process or store died mid-send) is parked with its reason, not re-sent
    reasons = set(acc.dead_lettered.values())
    assert reasons <= AMBIGUOUS, acc.table()
    if lost_answers:
        assert "ambiguous" in reasons, "no lost answer met the gateway: raise the fault's share"
    assert len(acc.replied_once) + len(acc.dead_lettered) == events
    assert acc.replied_once, "the data survived: ACKed events were still there to reply to"
