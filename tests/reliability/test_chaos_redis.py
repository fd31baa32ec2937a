"""Short crash-recovery run: Redis SIGKILLed and restarted under two gateways loses nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from metasim.simulator.load.chaos import redis_scenario
from tests.reliability.chaos_checks import LOST_ANSWERS, assert_exactly_once

pytestmark = pytest.mark.slow


def test_redis_killed_under_two_gateways_loses_and_doubles_nothing(tmp_path: Path) -> None:
    result = redis_scenario(
        duration=6, rate=10, restarts=1, drain=50, workdir=tmp_path, lost_answer=LOST_ANSWERS
    )
    assert_exactly_once(result, crashes=1, events=60)
