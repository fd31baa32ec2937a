"""Poll instead of sleeping: wait until a condition holds, with a short timeout."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
DEFAULT_TIMEOUT = 5.0
INTERVAL = 0.01


def eventually(
    probe: Callable[[], T],
    accept: Callable[[T], bool],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    interval: float = INTERVAL,
) -> T:
    """Call ``probe`` until ``accept(value)``; return the last value either way.

    Returning the last value (rather than raising) lets the calling step assert on it with a
    message that shows what was observed.
    """
    deadline = time.monotonic() + timeout
    value = probe()
    while not accept(value) and time.monotonic() < deadline:
        time.sleep(interval)
        value = probe()
    return value


def stays(
    probe: Callable[[], T], accept: Callable[[T], bool], *, window: float, interval: float = 0.02
) -> T:
    """Check ``accept(probe())`` holds for the whole ``window``; return the first value that
    breaks it, or the last value seen (for negative checks: "no reply is sent")."""
    deadline = time.monotonic() + window
    value = probe()
    while accept(value) and time.monotonic() < deadline:
        time.sleep(interval)
        value = probe()
    return value


async def eventually_async(
    probe: Callable[[], T],
    accept: Callable[[T], bool],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    interval: float = INTERVAL,
) -> T:
    """``eventually`` inside an event loop: sleeps with ``asyncio.sleep`` so the loop's other
    tasks (the server under test) run between the probes."""
    deadline = time.monotonic() + timeout
    value = probe()
    while not accept(value) and time.monotonic() < deadline:
        await asyncio.sleep(interval)
        value = probe()
    return value
