"""Epoch seconds / milliseconds, string or number -> ISO 8601 UTC with Z (P1-03, T10.04)."""

from __future__ import annotations

import pytest

from metasim.gateway.parsers.timestamps import TimestampError, now_iso, to_iso

# 1749416383 = 2025-06-08 20:59:43 UTC (checked with `date -u -d @1749416383`)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1749416383", "2025-06-08T20:59:43Z"),
        (1749416383, "2025-06-08T20:59:43Z"),
        (1749416383.0, "2025-06-08T20:59:43Z"),
        (1749416383123, "2025-06-08T20:59:43.123Z"),
        ("1749416383123", "2025-06-08T20:59:43.123Z"),
        (1749416383000, "2025-06-08T20:59:43.000Z"),
        (1749416383.5, "2025-06-08T20:59:43.500Z"),
        (0, "1970-01-01T00:00:00Z"),
        ("2025-06-08T22:59:43+02:00", "2025-06-08T20:59:43Z"),
        ("2025-06-08T20:59:43.250Z", "2025-06-08T20:59:43.250Z"),
    ],
)
def test_to_iso(value: object, expected: str) -> None:
    assert to_iso(value) == expected


@pytest.mark.parametrize("value", [None, True, "yesterday", "", -5, [1], "2025-06-08T20:59:43"])
def test_unreadable_timestamps_raise(value: object) -> None:
    with pytest.raises(TimestampError):
        to_iso(value)


def test_now_iso_has_milliseconds() -> None:
    assert now_iso(1749416383.0456) == "2025-06-08T20:59:43.046Z"
