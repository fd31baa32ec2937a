"""Waiting for the gateway's sends without waiting out a timeout when it has gone quiet."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from metasim.simulator.graph.recorder import RecordedCall
from metasim.steps.world import World

T = TypeVar("T")
REPLY_TIMEOUT = 5.0
INTERVAL = 0.01
MAX_INTERVAL = 0.1
# A gateway still sending is never cut off by the timeout: each new call it makes grants
# another REPLY_TIMEOUT, up to this bound. A correct gateway that answers Meta's 1000-update
# batch at 15 replies a second on a loaded CI machine gets its verdict from its replies, not
# from the machine's load; one that stops sending is still judged after quiet_seconds.
PROGRESS_BOUND = 300.0


def quiet(world: World, expected: int = 1) -> bool:
    """True when the gateway has answered every delivery and then sent nothing for the
    target's ``quiet_seconds``, and nothing it was told suggests it should still be waiting.

    A gateway waiting out a Retry-After, or one whose last send failed (it may be backing off
    before a retry), is given the whole timeout instead; so is one still receiving the fake's
    status webhooks (quiet counts from the last of them).
    """
    target = world.target
    ledger = target.graph.ledger
    now = time.monotonic()
    if target.graph.app.recorder.in_flight:
        return False  # the fake is still answering sends: the gateway is not quiet
    callbacks = target.graph.app.callbacks
    if callbacks.pending:
        # the fake is still delivering its own status webhooks to the gateway (3 per reply of
        # an earlier burst): the gateway is busy with the harness's traffic, not idle
        return False
    sent = callbacks.sent
    last_callback = sent[-1].at if sent else 0.0
    last = max(ledger.last_activity, target.last_delivery_at, world.owned.began, last_callback)
    # a gateway may chew on a 1000-update batch a while before its first send, longer on a
    # loaded machine: 10 ms a message
    patience = target.config.quiet_seconds + 0.01 * max(expected - 1, 0)
    if now - last < patience:
        return False
    if now < world.owned.hold_until + target.config.quiet_seconds:
        return False
    sightings = ledger.sightings(world.owned)
    return not sightings or sightings[-1].accepted


def wait_until(
    world: World,
    probe: Callable[[], T],
    accept: Callable[[T], bool],
    timeout: float,
    expected: int = 1,
) -> T:
    """Call ``probe`` until ``accept(value)``, the gateway went quiet, or ``timeout`` passed
    with no progress (a list ``value`` that grew pushes the deadline ``timeout`` further)."""
    started = time.monotonic()
    deadline = started + timeout
    # a probe copies every send seen so far and runs on the GIL the in-process gateway needs:
    # for a large batch, polling every 10 ms took a tenth of the loop's time for no gain
    interval = min(MAX_INTERVAL, INTERVAL * max(1.0, expected / 20))
    value = probe()
    seen = _size(value)
    while not accept(value) and time.monotonic() < deadline and not quiet(world, expected):
        time.sleep(interval)
        value = probe()
        if _size(value) > seen:
            seen = _size(value)
            deadline = min(max(deadline, time.monotonic() + timeout), started + PROGRESS_BOUND)
    return value


def _size(value: object) -> int:
    """How many calls a probed value holds (0 for anything that is not a list)."""
    return len(value) if isinstance(value, list) else 0


def wait_for_sends(
    world: World,
    accept: Callable[[list[RecordedCall]], bool],
    *,
    timeout: float = REPLY_TIMEOUT,
    expected: int = 1,
) -> list[RecordedCall]:
    """The scenario's sends, once ``accept`` holds or the gateway went quiet."""
    return wait_until(world, world.sends, accept, timeout, expected)


def wait_for_accepted(
    world: World, accept: Callable[[list[RecordedCall]], bool], *, timeout: float = REPLY_TIMEOUT
) -> list[RecordedCall]:
    """The scenario's accepted (2xx) sends, once ``accept`` holds or the gateway went quiet."""
    return wait_until(world, world.accepted, accept, timeout)


def wait_for_calls(
    world: World, probe: Callable[[], list[Any]], *, timeout: float = REPLY_TIMEOUT
) -> list[Any]:
    """Any list of calls, until it is not empty or the gateway went quiet."""
    return wait_until(world, probe, bool, timeout)


SHOWN_CALLS = 8  # a failure lists this many calls, then counts the rest


def describe_calls(calls: list[RecordedCall]) -> str:
    """``#12 POST /v25.0/1065.../messages to=15551234567 text -> 200; ...`` or ``none``."""
    shown = "; ".join(
        f"#{c.seq} {c.method} {c.path} to={c.recipient} {c.type or ''} -> {c.status}"
        for c in calls[:SHOWN_CALLS]
    )
    more = f"; ... and {len(calls) - SHOWN_CALLS} more" if len(calls) > SHOWN_CALLS else ""
    return (shown + more) or "none"


def nothing_seen(world: World, wanted: str) -> str:
    """The failure text for a check that saw no send: what was expected, what happened."""
    users = ", ".join(sorted(world.owned.users)) or "(the sample names no user)"
    answers = ", ".join(r.final.describe() for r in world.records) or "nothing was delivered"
    waited = time.monotonic() - (world.target.last_delivery_at or world.owned.began)
    lines = [
        f"expected {wanted} to this scenario's users ({users}); the fake Graph API received no "
        f"send to them in the {waited:.1f} s after the last delivery.",
        f"The gateway answered the deliveries: {answers}.",
    ]
    stray = [s.call for s in world.target.graph.ledger.stray if s.at >= world.owned.began]
    if stray:
        lines.append(f"Sends to users no scenario owns, meanwhile: {describe_calls(stray[-5:])}.")
    return "\n".join(lines)
