"""Tags become registered markers before collection, so -m T2.01 / P0-01 / wa work strictly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from metasim.steps.plugin import feature_tags

ROOT = Path(__file__).resolve().parents[2]


def test_feature_tags_are_found_with_their_first_location(tmp_path: Path) -> None:
    (tmp_path / "a.feature").write_text(
        "Feature: a\n  @T9.03 @P1-06 @needs-admin\n  Scenario: x\n    Given y\n"
        "    @wa\n    Examples: WhatsApp\n",
        encoding="utf-8",
    )
    tags = feature_tags(tmp_path)
    assert tags == {
        "T9.03": "a.feature:2",
        "P1-06": "a.feature:2",
        "needs-admin": "a.feature:2",
        "wa": "a.feature:5",
    }


EXPRESSIONS = ["T2.01", "P0-01", "wa", "T4.02", "needs-restart", "T2.12 and ig"]


@pytest.fixture(scope="module")
def selection(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """``pytest features --collect-only --strict-markers`` once, on the in-process reference
    target; what ``-m`` selects for each of EXPRESSIONS (tests/acceptance_meta/marker_selection.py)."""
    out = tmp_path_factory.mktemp("markers") / "selection.json"
    env = {**os.environ, "METASIM_MARKER_EXPRESSIONS": json.dumps(EXPRESSIONS),
           "METASIM_MARKER_SELECTION": str(out)}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "features", "--collect-only", "-q", "--strict-markers",
         "-p", "tests.acceptance_meta.marker_selection", "-p", "no:cacheprovider",
         "--target", "reference-inprocess"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "412 tests collected" in done.stdout or " collected" in done.stdout, done.stdout[-500:]
    result: dict[str, list[str]] = json.loads(out.read_text("utf-8"))
    return result


@pytest.mark.parametrize("expression", EXPRESSIONS[:5])
def test_marker_expressions_select_scenarios_under_strict_markers(
    expression: str, selection: dict[str, list[str]]
) -> None:
    selected = selection[expression]
    assert selected, f"-m {expression} selected nothing"
    assert all(nodeid.startswith("features/") for nodeid in selected), selected[:3]


def test_channel_examples_select_only_their_channel(selection: dict[str, list[str]]) -> None:
    selected = selection["T2.12 and ig"]
    assert len(selected) == 1 and "Instagram" in selected[0], selected
