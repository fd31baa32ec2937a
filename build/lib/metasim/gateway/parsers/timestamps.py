"""Meta timestamps (epoch seconds or milliseconds, string or number) to ISO 8601 UTC ``Z`` (P1-03)."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any

# Below this an epoch value is in seconds, above it in milliseconds: 1e11 s is the year 5138,
# 1e11 ms is March 1973, so no real webhook falls on the wrong side.
MS_THRESHOLD = 100_000_000_000


class TimestampError(ValueError):
    """The value is neither an epoch number nor an ISO 8601 date-time."""


def to_iso(value: Any) -> str:
    """``1749416383`` / ``"1749416383"`` -> ``2025-06-08T20:59:43Z``; ms keep 3 decimals.

    WhatsApp sends string seconds, Messenger / Instagram number milliseconds, and IG's
    mentions example seconds (docs/meta-contract.md §b ⚠), so the unit is read from the magnitude.
    """
    if isinstance(value, bool) or value is None:
        raise TimestampError(f"timestamp {value!r} is not an epoch number")
    if isinstance(value, str):
        text = value.strip()
        try:
            number = float(text)
        except ValueError:
            return _iso_string(text)
    elif isinstance(value, int | float):
        number = float(value)
    else:
        raise TimestampError(f"timestamp {value!r} is not an epoch number")
    if number != number or number < 0:  # NaN or negative
        raise TimestampError(f"timestamp {value!r} is not a valid epoch")
    if number >= MS_THRESHOLD:
        millis = round(number)
        return _second(millis // 1000) + f".{millis % 1000:03d}Z"
    seconds = int(number)
    fraction = number - seconds
    tail = f".{round(fraction * 1000):03d}" if fraction and round(fraction * 1000) < 1000 else ""
    return _second(seconds) + tail + "Z"


@functools.lru_cache(maxsize=4096)
def _second(seconds: int) -> str:
    """``YYYY-MM-DDTHH:MM:SS`` of an epoch second; cached, as a webhook's timestamps (and a
    burst's) share their seconds and strftime is the slow part of every conversion."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _iso_string(text: str) -> str:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise TimestampError(f"timestamp {text!r} is neither epoch nor ISO 8601") from None
    if moment.tzinfo is None:
        raise TimestampError(f"timestamp {text!r} has no time zone")
    utc = moment.astimezone(UTC)
    millis = utc.microsecond // 1000
    tail = f".{millis:03d}" if utc.microsecond else ""
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + tail + "Z"


def now_iso(epoch: float) -> str:
    """``epoch`` (the gateway's own clock) as ISO 8601 UTC with milliseconds."""
    millis = round(epoch * 1000)
    return _second(millis // 1000) + f".{millis % 1000:03d}Z"
