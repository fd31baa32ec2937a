"""Tags become registered markers before collection, so -m T2.01 / P0-01 / wa work strictly."""

from __future__ import annotations

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


def _collect(*marker_args: str) -> subprocess.CompletedProcess[str]:
    """``pytest features --collect-only -q`` on the in-process reference target, with ``marker_args``."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "features",
            "--collect-only",
            "-q",
            *marker_args,
            "-p",
            "no:cacheprovider",
            "--target",
            "reference-inprocess",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("expression", ["T2.01", "P0-01", "wa", "T4.02", "needs-restart"])
def test_marker_expressions_select_scenarios_under_strict_markers(expression: str) -> None:
    done = _collect("--strict-markers", "-m", expression)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert " collected" in done.stdout or "tests collected" in done.stdout, done.stdout[-500:]
    selected = [ln for ln in done.stdout.splitlines() if ln.startswith("features/")]
    assert selected, f"-m {expression} selected nothing"


def test_channel_examples_select_only_their_channel() -> None:
    done = _collect("-m", "T2.12 and ig")
    selected = [ln for ln in done.stdout.splitlines() if ln.startswith("features/")]
    assert len(selected) == 1 and "Instagram" in selected[0], done.stdout[-1500:]
