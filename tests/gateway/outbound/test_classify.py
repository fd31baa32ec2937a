"""Graph error classification (docs/meta-contract.md §h) and the backoff delays."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from metasim.gateway.outbound.backoff import delay, parse_retry_after
from metasim.gateway.outbound.errors import classify


def err(code: int, sub: int | None = None) -> dict:
    e: dict = {"message": f"(#{code}) x", "type": "OAuthException", "code": code}
    if sub:
        e["error_subcode"] = sub
    return {"error": e}


@pytest.mark.parametrize("code", [2, 4, 17, 32, 613, 80007, 130429, 131000, 131016, 131056, 131048])
def test_retryable_codes(code: int) -> None:
    # the HTTP status does not matter: rate limits moved from 429 to 400 across doc versions
    for status in (400, 429, 503):
        assert classify(status, err(code), attempts=1).retryable


@pytest.mark.parametrize(
    ("code", "sub"),
    [
        (0, None),
        (3, None),
        (10, None),
        (100, None),
        (190, 463),
        (200, None),
        (299, None),
        (368, None),
        (131026, None),
        (131047, None),
        (131051, None),
        (132000, None),
        (132001, None),
        (132012, None),
        (551, None),
        (100, 2018001),
        (10, 2018278),
        (424242, None),
    ],
)
def test_permanent_codes(code: int, sub: int | None) -> None:
    v = classify(400, err(code, sub), attempts=1)
    assert not v.retryable and v.reason.startswith(f"graph-{code}")


def test_code_1_maybe_once() -> None:
    assert classify(400, err(1), attempts=1).retryable
    assert not classify(400, err(1), attempts=2).retryable


def test_slow_and_pair_limits_set_a_floor() -> None:
    assert classify(400, err(131048), 1).min_delay >= 60
    assert classify(400, err(131056), 1).min_delay >= 6


@pytest.mark.parametrize(
    ("status", "retry"),
    [
        (500, True),
        (502, True),
        (503, True),
        (504, True),
        (429, True),
        (408, True),
        (404, False),
        (400, False),
        (401, False),
    ],
)
def test_status_decides_without_a_graph_code(status: int, retry: bool) -> None:
    assert classify(status, {"raw": "<html>"}, 1).retryable is retry


def test_full_jitter_stays_under_the_exponential_ceiling_and_the_cap() -> None:
    rng = random.Random(7)
    for attempt, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (10, 300.0)]:
        draws = [delay(attempt, base=1.0, cap=300.0, rng=rng) for _ in range(200)]
        assert all(0 <= d <= ceiling for d in draws)
        assert max(draws) > ceiling * 0.8  # jitter spreads over the whole range
        assert min(draws) < ceiling * 0.2


def test_retry_after_is_a_floor() -> None:
    rng = random.Random(1)
    assert all(delay(1, base=1.0, cap=300.0, retry_after=42, rng=rng) >= 42 for _ in range(50))
    assert delay(1, base=1.0, cap=5.0, retry_after=10**9, rng=rng) == 86_400


def test_retry_after_parses_seconds_and_http_dates() -> None:
    now = datetime(2026, 3, 1, 10, 0, 0, tzinfo=UTC).timestamp()
    assert parse_retry_after("17", now) == 17
    http_date = format_datetime(datetime(2026, 3, 1, 10, 0, 45, tzinfo=UTC), usegmt=True)
    assert http_date == "Sun, 01 Mar 2026 10:00:45 GMT"
    assert parse_retry_after(http_date, now) == 45
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None
