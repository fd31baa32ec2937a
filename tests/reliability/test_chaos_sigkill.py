"""Short crash-recovery run: the gateway SIGKILLed twice under load still replies exactly once."""

from __future__ import annotations

from pathlib import Path

import pytest

from metasim.simulator.load.chaos import sigkill_scenario
from tests.reliability.chaos_checks import LOST_ANSWERS, assert_exactly_once

pytestmark = pytest.mark.slow


def test_gateway_killed_twice_under_load_loses_and_doubles_nothing(tmp_path: Path) -> None:
    result = sigkill_scenario(
        duration=6, rate=10, kills=2, drain=45, workdir=tmp_path, lost_answer=LOST_ANSWERS
    )
    assert_exactly_once(result, crashes=2, events=60)
    # the kills were felt: webhooks were refused while the gateway was down, then retried
    assert result.traffic.refused > 0
