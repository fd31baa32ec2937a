"""Hostile bodies and headers against the in-process gateway: never a 5xx, never dead, memory bounded."""

from __future__ import annotations

import gc
import os
import tracemalloc
from collections import Counter
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reliability.fuzz_rig import API_KEY, Answer, Rig, sign
from tests.reliability.fuzz_schema import schema_events, wire
from tests.reliability.hostile import cases

# make fuzz raises these (FUZZ_CASES=8000 FUZZ_SCHEMA_CASES=2000); make test keeps them small
CASES = int(os.environ.get("FUZZ_CASES", "120"))
SCHEMA_CASES = int(os.environ.get("FUZZ_SCHEMA_CASES", "40"))
# gateway-side tracemalloc growth allowed between the run's middle and its end: the SQLite store
# is on disk, so what stays in memory is caches and metrics, not per-request data
MAX_GROWTH_MB = float(os.environ.get("FUZZ_MAX_GROWTH_MB", "8"))


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    r = Rig(tmp_path_factory.mktemp("fuzz"), log_level="WARNING")
    yield r
    r.close()


def failures(answers: list[tuple[str, Answer]]) -> list[str]:
    return [f"{what}: {a.status} {a.error or a.body[:200]!r}" for what, a in answers
            if a.status >= 500 or a.error]  # fmt: skip


def send_all(rig: Rig, count: int, seed: int) -> tuple[list[tuple[str, Answer]], Counter[int]]:
    """Every case to its webhook path; every 8th body also to the outbound API and the handshake."""
    answers: list[tuple[str, Answer]] = []
    for i, case in enumerate(cases(count, seed)):
        answers.append(
            (f"{case.kind} {case.path}", rig.call("POST", case.path, case.headers, case.body))
        )
        if i % 8 == 0:
            key = [(b"authorization", f"Bearer {API_KEY}".encode()), *case.headers]
            answers.append(("outbound api", rig.call("POST", "/v1/messages", key, case.body)))
            query = (
                "hub.mode=subscribe&hub.verify_token="
                + case.body[:60].hex()
                + "&hub.challenge=%ff%00"
            )
            answers.append(("handshake", rig.call("GET", f"{case.path}?{query}")))
    return answers, Counter(a.status for _, a in answers)


def gateway_bytes(rig: Rig) -> int:
    """Traced bytes once the gateway has nothing in flight (the events still being processed are
    work, not growth) and the fake Graph API's recorder (it keeps every call on purpose) is
    emptied."""
    rig.settle()
    rig.graph.recorder.reset()
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def test_hostile_requests_never_5xx_and_memory_stays_bounded(rig: Rig) -> None:
    send_all(rig, 100, seed=999)  # warm-up: imports, caches, first SQLite pages
    tracemalloc.start()
    try:
        first, statuses = send_all(rig, CASES // 2, seed=1)
        half = gateway_bytes(rig)
        second, more = send_all(rig, CASES - CASES // 2, seed=2)
        end = gateway_bytes(rig)
    finally:
        tracemalloc.stop()
    answers, statuses = first + second, statuses + more
    print(f"\nfuzz: {len(answers)} requests, statuses {dict(statuses)}; gateway-side traced "
          f"memory after half {half / 1e6:.1f} MB, at end {end / 1e6:.1f} MB")  # fmt: skip
    assert not failures(answers), failures(answers)[:10]
    assert statuses[200] > 0 and statuses[400] > 0, "the cases should reach both outcomes"
    # bounded: the second half of the run must not keep what the first half already grew
    assert (end - half) / 1e6 < MAX_GROWTH_MB
    assert rig.still_serving(seed=424242) == (True, True)


@settings(
    max_examples=SCHEMA_CASES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(event=schema_events(), ascii_only=st.booleans())
def test_schema_generated_signed_events_never_5xx(
    rig: Rig, event: tuple[str, dict], ascii_only: bool
) -> None:
    path, payload = event
    body = wire(payload, ascii_only)
    answer = rig.call("POST", path, [(b"x-hub-signature-256", sign(body).encode())], body)
    assert answer.status < 500 and answer.error is None, (answer.status, answer.error, body[:300])


def test_gateway_alive_after_schema_fuzzing(rig: Rig) -> None:
    """Runs after the Hypothesis test in file order: its events went to the worker after the ACK."""
    assert rig.still_serving(seed=777) == (True, True)
    quarantined = rig.call("GET", "/ready")
    assert quarantined.status == 200
