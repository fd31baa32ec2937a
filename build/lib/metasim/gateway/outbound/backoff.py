"""Retry delays: exponential with full jitter, capped, never sooner than Retry-After."""

from __future__ import annotations

import random
from email.utils import parsedate_to_datetime

# A Retry-After beyond a day is treated as a day: the DLQ schedule is the place for longer waits.
RETRY_AFTER_CEILING = 86_400.0


def delay(
    attempt: int,
    *,
    base: float,
    cap: float,
    retry_after: float | None = None,
    min_delay: float = 0.0,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait before attempt ``attempt + 1`` (``attempt`` >= 1 failed so far).

    Full jitter (a uniform draw in [0, min(cap, base * 2**(attempt-1))]) spreads the retries
    of many items failing together instead of synchronising them (AWS architecture blog,
    "Exponential Backoff And Jitter"). The server's Retry-After, when it sent one, is a floor:
    retrying sooner is pointless and counts against the rate limit again.
    """
    draw = (rng or random).random()
    ceiling = min(cap, base * (2 ** max(0, attempt - 1)))
    wait = ceiling * draw
    if retry_after is not None:
        wait = max(wait, min(retry_after, RETRY_AFTER_CEILING))
    return max(wait, min_delay)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Retry-After as seconds from ``now``: delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError, IndexError):
        return None  # unreadable: fall back to our own backoff
