"""The suite catches bugs: each mutant gateway fails the scenarios that describe its bug.

Each mutant is judged in-process (the reference gateway patched inside the suite's own
process: a few seconds a mutant); the reply-loop mutant runs as a real process through the
shipped external target file, so the path a team's gateway takes is proven to catch a bug too.

The unmutated reference passing these same scenarios (so a failure is the mutant's doing) is
the in-process catalogue run of ``make test`` (every scenario, all green); each run here also
keeps one control scenario that every mutant must still pass.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.mutants.mutants import MUTANTS

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples/targets/reference-external.toml"
INPROCESS = "reference-inprocess"
CONTROL = "T14.05"  # health: every mutant must still pass it (the failures are the bug's)
SERVE = 'command = ["{python}", "-m", "metasim.gateway.cli", "serve"]'


def mutant_target(tmp_path: Path, name: str) -> Path:
    """The shipped reference-external target, started through the mutant launcher."""
    text = EXAMPLE.read_text(encoding="utf-8")
    assert SERVE in text, "the example target's start command changed; update this test"
    text = text.replace(SERVE, 'command = ["{python}", "{root}/tests/mutants/launch.py", "serve"]')
    text = text.replace('name = "reference-external"', f'name = "mutant-{name}"')
    text = text.replace("[start.env]\n", f'[start.env]\nGATEWAY_MUTANT = "{name}"\n')
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def run_features(
    target: Path | str, ids: tuple[str, ...], junit: Path, mutant: str = "", *extra: str
) -> subprocess.CompletedProcess[str]:
    """``pytest features`` on the scenarios tagged with ``ids`` (plus the control).

    With ``mutant`` the in-process target runs with that bug planted in the suite's process.
    """
    expression = " or ".join((*ids, CONTROL))
    plant = ["-p", "tests.mutants.plugin"] if mutant else []
    return subprocess.run(
        [sys.executable, "-m", "pytest", "features", "--target", str(target), "-m", expression,
         "-q", "-p", "no:cacheprovider", f"--junitxml={junit}", "--timeout", "120",
         *plant, *extra],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
        env={**os.environ, "COVERAGE_PROCESS_START": "", "GATEWAY_MUTANT": mutant},
    )  # fmt: skip


def run_suite(
    target: Path | str, ids: tuple[str, ...], junit: Path, mutant: str = ""
) -> dict[str, list[str]]:
    """Run the scenarios tagged with ``ids`` (plus the control); outcomes per test id."""
    run_features(target, ids, junit, mutant)
    return outcomes_of(junit)


def outcomes_of(junit: Path) -> dict[str, list[str]]:
    """Per test id, the outcome of each of its scenarios in a JUnit file."""
    outcomes: dict[str, list[str]] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        failed = case.find("failure") is not None or case.find("error") is not None
        for test_id in (props.get("test_ids") or "").split(","):
            if test_id:
                outcomes.setdefault(test_id, []).append("failed" if failed else "passed")
    return outcomes


# receipts_answered is judged by the reply-loop test below, in the same run: it also reads the
# failure text, whose timing needs the machine to itself (tests/conftest.py TIMING_TESTS)
LOOP_MUTANT = "receipts_answered"
# judged by the late-verdict test below, which also reads every output of its run
LATE_MUTANT = "retry_permanent_errors_late"


def check_caught(name: str, outcomes: dict[str, list[str]]) -> None:
    """Every id describing mutant ``name``'s bug failed on it, and the control passed."""
    mutant = MUTANTS[name]
    assert outcomes, f"no scenario ran against mutant {name}"
    missed = [i for i in mutant.caught_by if "failed" not in outcomes.get(i, [])]
    assert not missed, f"mutant {name!r} ({mutant.bug}) passed {missed}: {outcomes}"
    assert outcomes.get(CONTROL) == ["passed"], f"control {CONTROL} failed on {name}: {outcomes}"


# make test judges four planted bugs of four kinds (dedupe, handshake, retries, statuses) to
# stay within its time; `make mutants` (METASIM_MUTANTS=all) judges every one
QUICK = (
    "dedupe_on_body_hash",
    "hub_mode_unchecked",
    "retry_permanent_errors",
    "statuses_as_messages",
)


def judged() -> list[str]:
    every = sorted(set(MUTANTS) - {LOOP_MUTANT, LATE_MUTANT})
    return every if os.environ.get("METASIM_MUTANTS") == "all" else [n for n in every if n in QUICK]


@pytest.mark.slow
@pytest.mark.parametrize("name", judged())
def test_each_mutant_is_caught_by_the_ids_describing_its_bug(tmp_path: Path, name: str) -> None:
    junit = tmp_path / "junit.xml"
    check_caught(name, run_suite(INPROCESS, MUTANTS[name].caught_by, junit, mutant=name))


@pytest.mark.slow
def test_a_retry_after_its_scenario_passed_fails_it_in_every_output(tmp_path: Path) -> None:
    # T13.03: a permanent error must not be retried. The mutant retries it 1.2 s later, after
    # the scenario's check passed: only the late audit sees it, and every output must say so.
    junit, report = tmp_path / "junit.xml", tmp_path / "report"
    done = run_features(
        INPROCESS, MUTANTS[LATE_MUTANT].caught_by, junit, LATE_MUTANT,
        "--metasim-report", str(report),
    )  # fmt: skip
    check_caught(LATE_MUTANT, outcomes_of(junit))
    out = done.stdout + done.stderr
    assert done.returncode == 1, out[-2000:]
    assert "late traffic:" in out and "FAILED (late)" in out, out[-2000:]
    results = json.loads((report / "results.json").read_text(encoding="utf-8"))
    late = [s for s in results["scenarios"] if s["id"] == "T13.03"]
    assert late and all(s["outcome"] == "failed" for s in late), late
    assert results["run"]["exit_status"] == 1
    # the late finding, with its timing, is in the scenario's record
    assert any("after the scenario ended" in json.dumps(s) for s in late), late
    html = (report / "index.html").read_text(encoding="utf-8")
    assert "after the scenario ended" in html
    cucumber = json.loads((report / "cucumber.json").read_text(encoding="utf-8"))
    steps = [
        step["result"]
        for feature in cucumber for element in feature["elements"] for step in element["steps"]
        if "after the scenario ended" in step.get("result", {}).get("error_message", "")
    ]  # fmt: skip
    assert steps and all(r["status"] == "failed" for r in steps), steps
    allure = [json.loads(f.read_text()) for f in (report / "allure-results").glob("*-result.json")]
    late_allure = [a for a in allure if "after the scenario ended" in json.dumps(a)]
    assert late_allure and all(a["status"] == "failed" for a in late_allure), len(allure)


@pytest.mark.slow
def test_a_gateway_answering_receipts_is_named_a_reply_loop_in_its_own_scenario(
    tmp_path: Path,
) -> None:
    # T2.07 answers an Instagram text; the fake sends a read receipt back; the mutant answers it.
    # The same run judges the mutant like the others: every id of its bug fails, control passes.
    junit = tmp_path / "junit.xml"
    caught_by = MUTANTS[LOOP_MUTANT].caught_by
    outcomes = run_suite(mutant_target(tmp_path, LOOP_MUTANT), caught_by, junit)
    check_caught(LOOP_MUTANT, outcomes)
    assert "failed" in outcomes.get("T2.07", []), outcomes
    failures = [
        (case.get("name") or "", (case.find("failure").text or ""))  # type: ignore[union-attr]
        for case in ET.parse(junit).getroot().iter("testcase")
        if case.find("failure") is not None
    ]
    texts = [text for name, text in failures if "instagram_text_message" in name]
    assert texts and "reply loop with user" in texts[0], failures
    assert "read webhook for" in texts[0], texts[0]
