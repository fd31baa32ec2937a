"""Every run sends new ids (a gateway keeping state across runs sees no false redelivery), and
``--metasim-seed`` replays one run's ids exactly."""

from __future__ import annotations

import json
import re

import pytest

pytest_plugins = ["pytester"]

SCENARIO = """
from metasim.simulator import catalogue


def test_a_scenario(world):
    payload = catalogue.build("wa.text", world.ctx)
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    print("SENT", message["from"], message["id"])
"""


def sent(pytester: pytest.Pytester, *args: str) -> tuple[str, int]:
    """(the scenario's user and message id, the seed the header announced) of one run."""
    result = pytester.runpytest_subprocess(
        "-p", "metasim.steps.plugin", "--target", "reference-inprocess", "-s",
        "--metasim-drain", "0", *args,
    )  # fmt: skip
    result.assert_outcomes(passed=1)
    out = result.stdout.str()
    ids = re.search(r"^SENT (.+)$", out, re.MULTILINE)
    seed = re.search(r"replay this run with --metasim-seed (\d+)", out)
    assert ids and seed, out
    return ids.group(1), int(seed.group(1))


def test_two_runs_send_different_ids_and_a_seed_replays_one(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_scenario=SCENARIO)
    first, first_seed = sent(pytester, "--metasim-report", "out")
    results = json.loads((pytester.path / "out" / "results.json").read_text(encoding="utf-8"))
    assert results["run"]["extra"]["seed"] == str(first_seed)  # the report says how to replay
    second, second_seed = sent(pytester)
    assert first_seed != second_seed
    assert first.split()[0] != second.split()[0], "same user in two runs"
    assert first.split()[1] != second.split()[1], "same message id in two runs"
    replay, replay_seed = sent(pytester, "--metasim-seed", str(first_seed))
    assert (replay, replay_seed) == (first, first_seed)
