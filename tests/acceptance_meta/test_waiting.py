"""Reply waits: a gateway still sending is not cut off; a stalled one is judged on time."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

from metasim.steps.waiting import wait_until


def world(quiet_seconds: float) -> Any:
    ledger = SimpleNamespace(last_activity=time.monotonic(), sightings=lambda owned: [])
    config = SimpleNamespace(quiet_seconds=quiet_seconds)
    callbacks = SimpleNamespace(pending=0, sent=[])  # the fake's status webhooks to the gateway
    app = SimpleNamespace(recorder=SimpleNamespace(in_flight=0), callbacks=callbacks)
    target = SimpleNamespace(graph=SimpleNamespace(ledger=ledger, app=app), config=config,
                             last_delivery_at=time.monotonic())  # fmt: skip
    return SimpleNamespace(
        target=target, owned=SimpleNamespace(began=time.monotonic(), hold_until=0.0)
    )


def trickle(w: Any, every: float, upto: int) -> Any:
    """A probe whose list gains one send every ``every`` seconds (the fake saw each one)."""
    start = time.monotonic()

    def probe() -> list[int]:
        n = min(upto, 1 + int((time.monotonic() - start) / every))
        w.target.graph.ledger.last_activity = start + (n - 1) * every
        return list(range(n))

    return probe


def test_a_gateway_still_sending_gets_past_the_timeout_until_its_last_reply() -> None:
    w = world(quiet_seconds=0.5)
    got = wait_until(w, trickle(w, every=0.1, upto=15), lambda c: len(c) >= 15, timeout=0.4)
    assert len(got) == 15  # 1.4 s of steady replies, well past the 0.4 s timeout


def test_a_gateway_that_stops_sending_is_judged_once_quiet() -> None:
    w = world(quiet_seconds=0.3)
    began = time.monotonic()
    got = wait_until(w, trickle(w, every=0.1, upto=3), lambda c: len(c) >= 15, timeout=5.0)
    waited = time.monotonic() - began
    assert len(got) == 3 and waited < 4.0  # ended by the silence, not by the 5 s timeout


def test_a_gateway_busy_with_other_traffic_but_no_progress_meets_the_timeout() -> None:
    w = world(quiet_seconds=0.3)

    def stuck() -> list[int]:
        w.target.graph.ledger.last_activity = time.monotonic()  # someone else's traffic
        return [0]

    began = time.monotonic()
    got = wait_until(w, stuck, lambda c: len(c) >= 2, timeout=0.5)
    assert got == [0] and 0.5 <= time.monotonic() - began < 3.0


def test_a_send_the_fake_is_still_answering_keeps_the_wait_open() -> None:
    w = world(quiet_seconds=0.2)
    w.target.graph.ledger.last_activity -= 10  # long silent, but the fake holds a call
    w.target.last_delivery_at -= 10
    w.owned.began -= 10
    w.target.graph.app.recorder.in_flight = 1
    began = time.monotonic()

    def answered_late() -> list[int]:
        if time.monotonic() - began > 1.0:
            w.target.graph.app.recorder.in_flight = 0
            return [0]
        return []

    got = wait_until(w, answered_late, bool, timeout=5.0)
    assert got == [0]  # not judged quiet while the fake was busy answering


def long_silent(w: Any) -> None:
    """No send, delivery or scenario start for 10 s: quiet by those alone."""
    w.target.graph.ledger.last_activity -= 10
    w.target.last_delivery_at -= 10
    w.owned.began -= 10


def test_status_webhooks_still_being_delivered_keep_the_wait_open() -> None:
    w = world(quiet_seconds=0.2)
    long_silent(w)
    w.target.graph.app.callbacks.pending = 1  # the fake is still posting statuses to it
    began = time.monotonic()

    def after_the_statuses() -> list[int]:
        if time.monotonic() - began > 1.0:
            w.target.graph.app.callbacks.pending = 0
            return [0]
        return []

    got = wait_until(w, after_the_statuses, bool, timeout=5.0)
    assert got == [0]  # not judged quiet while the gateway was taking the fake's webhooks


def test_quiet_counts_from_the_last_status_webhook() -> None:
    w = world(quiet_seconds=0.5)
    long_silent(w)
    w.target.graph.app.callbacks.sent = [SimpleNamespace(at=time.monotonic())]
    began = time.monotonic()
    got = wait_until(w, lambda: [], bool, timeout=5.0)
    waited = time.monotonic() - began
    # judged quiet half a second after the status webhook, not at once, nor at the timeout
    assert got == [] and 0.5 <= waited < 4.0
