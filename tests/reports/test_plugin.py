"""The plugin on a synthetic pytest-bdd run (pytester): every field of results.json and side files."""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from tests.reports.synthetic import BODY, write_suite

pytest_plugins = ["pytester"]

SCENARIO_FIELDS = {
    "nodeid", "id", "section", "tickets", "channel", "tags", "name", "feature", "feature_file",
    "line", "example", "outcome", "reason", "duration_s", "steps", "error", "evidence",
}  # fmt: skip
STEP_FIELDS = {"keyword", "name", "line", "status", "duration_s", "error"}
EVIDENCE_FIELDS = {"payloads", "answers", "graph_calls", "logs", "exercised", "dropped"}
EMPTY_EVIDENCE = {k: [] for k in EVIDENCE_FIELDS - {"dropped"}} | {"dropped": {}}


def run_suite(
    pytester: pytest.Pytester, *args: str
) -> tuple[pytest.RunResult, Path, dict[str, Any]]:
    """Run the synthetic suite with --metasim-report out; (result, out dir, results.json)."""
    write_suite(pytester)
    result = pytester.runpytest("--metasim-report", "out", *args)
    out = pytester.path / "out"
    return result, out, json.loads((out / "results.json").read_text(encoding="utf-8"))


def by_node(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["nodeid"]: s for s in doc["scenarios"]}


def steps(scenario: dict[str, Any]) -> list[tuple[str, str, int, str]]:
    return [(s["keyword"], s["name"], s["line"], s["status"]) for s in scenario["steps"]]


_RUNS: dict[str, tuple[pytest.RunResult, Path, dict[str, Any]]] = {}


@pytest.fixture
def suite(pytester: pytest.Pytester) -> tuple[pytest.RunResult, Path, dict[str, Any]]:
    """One synthetic run shared by the read-only tests below (its folder outlives the test)."""
    if "suite" not in _RUNS:
        _RUNS["suite"] = run_suite(pytester)
    return _RUNS["suite"]


def test_run_facts_counts_and_only_scenarios(
    suite: tuple[pytest.RunResult, Path, dict[str, Any]],
) -> None:
    result, _, doc = suite
    result.assert_outcomes(passed=5, failed=2, skipped=2, errors=1)
    assert doc["format"] == "metasim-results/1"
    assert set(doc) == {"format", "run", "counts", "scenarios", "contract", "traffic"}
    run = doc["run"]
    assert set(run) == {
        "target", "started_at", "finished_at", "duration_s", "versions", "exit_status", "command", "extra",
    }  # fmt: skip
    assert run["target"] == "reference"  # from evidence.set_run_info in the suite's conftest
    assert run["extra"] == {"store": "sqlite"}
    assert run["versions"]["gateway"] == "9.9.9"
    assert run["versions"]["pytest-bdd"] == metadata.version("pytest-bdd")
    assert run["versions"]["python"].count(".") == 2
    assert run["exit_status"] == 1  # some scenario failed
    assert run["command"].startswith("pytest --metasim-report out")
    assert run["started_at"].endswith("Z") and run["started_at"] <= run["finished_at"]
    assert run["duration_s"] >= 0.01  # one step sleeps 10 ms
    # the plain unit test of the module is not a scenario
    assert not any("test_plain_unit_test" in s["nodeid"] for s in doc["scenarios"])
    assert doc["counts"] == {
        "failed": 3,
        "advice": 0,
        "passed": 4,
        "not_applicable": 1,
        "skipped": 1,
        "total": 9,
    }
    for s in doc["scenarios"]:
        assert set(s) == SCENARIO_FIELDS, s["nodeid"]
        assert set(s["evidence"]) == EVIDENCE_FIELDS
        assert all(set(st) == STEP_FIELDS for st in s["steps"])
        assert s["duration_s"] >= sum(st["duration_s"] for st in s["steps"])


def test_outline_rows_get_their_channel_from_examples_tags(suite: Any) -> None:
    _, _, doc = suite
    nodes = by_node(doc)
    wa = nodes["test_suite.py::test_a_text_message_becomes_a_canonical_envelope[wa.text]"]
    ig = nodes["test_suite.py::test_a_text_message_becomes_a_canonical_envelope[ig.text]"]
    assert (wa["channel"], ig["channel"]) == ("wa", "ig")
    assert wa["tags"] == ["P0-01", "T2.01", "wa"] and ig["tags"] == ["P0-01", "T2.01", "ig"]
    for row, event in ((wa, "wa.text"), (ig, "ig.text")):
        assert row["id"] == "T2.01" and row["section"] == "T2" and row["tickets"] == ["P0-01"]
        assert row["name"] == "A text message becomes a canonical envelope"
        assert row["feature"] == "Native parsing"
        assert row["feature_file"] == "features/t2_parsing.feature"
        assert row["line"] == 5
        assert row["example"] == {"event": event}
        assert (row["outcome"], row["reason"], row["error"]) == ("passed", None, None)
        assert steps(row) == [
            ("Given", f'the sample "{event}"', 6, "passed"),
            ("When", "the sample is delivered", 7, "passed"),
            ("Then", "the gateway acknowledges with 200", 8, "passed"),
        ]
        assert all(st["error"] is None for st in row["steps"])
        assert row["steps"][1]["duration_s"] >= 0.01
        assert row["evidence"]["exercised"] == [
            {"event": event, "dialect": None, "channel": None, "graph_error_code": None}
        ]
        assert row["evidence"]["logs"] == []  # the failure log hook runs only on failure


def test_evidence_of_a_failing_scenario(suite: Any) -> None:
    _, _, doc = suite
    s = by_node(doc)["test_suite.py::test_a_status_update_is_acknowledged_and_not_answered"]
    assert (s["id"], s["section"], s["tickets"], s["channel"]) == (
        "T2.06",
        "T2",
        ["P0-01", "P1-02"],
        "wa",
    )
    assert s["outcome"] == "failed" and s["reason"] is None
    assert "a reply was sent for a status update" in s["error"]
    assert steps(s) == [
        ("Given", 'the sample "wa.status.read"', 22, "passed"),
        ("When", "the sample is delivered", 23, "passed"),
        ("Then", "the fake Graph API received no message", 24, "failed"),
        ("And", "the outbox is empty", 25, "skipped"),
    ]
    assert s["steps"][2]["error"] == "AssertionError: a reply was sent for a status update"
    ev = s["evidence"]
    [payload] = ev["payloads"]
    assert payload["target_url"] == "http://127.0.0.1:9/webhook/wa"
    assert payload["headers"] == {"X-Hub-Signature-256": "sha256=00ff"}
    assert payload["body"] == {
        "text": BODY.decode("ascii"),
        "encoding": "utf-8",
        "size": len(BODY),
        "sha256": hashlib.sha256(BODY).hexdigest(),
        "truncated": False,
    }
    assert "\\u00e9 \\/" in payload["body"]["text"]  # the bytes as sent, not re-encoded
    [answer] = ev["answers"]
    assert answer["status"] == 200 and answer["body"]["text"] == "EVENT_RECEIVED"
    assert ev["graph_calls"] == [
        {"method": "POST", "path": "/v23.0/106540352242922/messages", "status": 400}
    ]
    # fetched by the on_failure hook, before teardown
    assert ev["logs"] == ['{"level":"info","correlation_id":"c-1","stage":"parse"}']
    assert ev["exercised"] == [
        {"event": "wa.status.read", "dialect": None, "channel": None, "graph_error_code": None},
        {"event": None, "dialect": None, "channel": None, "graph_error_code": "131047"},
    ]
    assert ev["dropped"] == {}


def test_channel_from_an_examples_column(suite: Any) -> None:
    _, _, doc = suite
    s = by_node(doc)[
        "test_suite.py::test_each_channel_row_names_its_channel_in_a_column[Messenger-msg.text]"
    ]
    assert (s["channel"], s["example"]) == ("msg", {"channel": "Messenger", "event": "msg.text"})
    assert (s["id"], s["tickets"], s["outcome"]) == ("T2.09", ["P0-01"], "passed")


def test_not_applicable_skipped_setup_error_undefined_step_and_no_id(suite: Any) -> None:
    _, _, doc = suite
    nodes = by_node(doc)
    na = nodes["test_suite.py::test_the_metrics_endpoint_exposes_counters"]
    assert (na["outcome"], na["reason"], na["error"]) == (
        "not_applicable", "the target declares no metrics URL", None,
    )  # fmt: skip
    assert (na["id"], na["section"], na["tickets"], na["channel"]) == (
        "T14.05",
        "T14",
        ["P1-04"],
        None,
    )
    assert [st["status"] for st in na["steps"]] == ["skipped", "skipped"]
    assert na["evidence"] == EMPTY_EVIDENCE

    sk = nodes["test_suite.py::test_a_backup_is_skipped_on_purpose"]
    assert (sk["outcome"], sk["reason"]) == ("skipped", "backups are not run on this machine")
    assert sk["tickets"] == ["P2-05"]

    setup = nodes["test_suite.py::test_a_broken_fixture_fails_the_scenario_before_its_steps"]
    assert setup["outcome"] == "failed"
    assert setup["error"].startswith("error in setup:")
    assert "the gateway did not start" in setup["error"]
    assert steps(setup) == [("Given", 'the sample "wa.text"', 15, "skipped")]
    assert setup["tags"] == ["T14.07", "broken_setup"]

    undefined = nodes["test_suite.py::test_a_step_nobody_wrote"]
    assert undefined["outcome"] == "failed"
    [step] = undefined["steps"]
    assert (step["status"], step["name"]) == ("failed", "a step that does not exist")
    assert "Step definition is not found" in step["error"]

    bare = nodes["test_suite.py::test_a_scenario_without_an_id_tag"]
    assert (bare["id"], bare["section"], bare["tickets"], bare["tags"]) == (None, None, [], [])
    assert bare["channel"] == "wa"  # from the event it exercised
    assert bare["outcome"] == "passed"


def test_contract_snapshot_comes_from_the_catalogues(suite: Any) -> None:
    from metasim.simulator import catalogue
    from metasim.simulator.graph.errors import catalogue as graph_errors

    _, _, doc = suite
    contract = doc["contract"]
    assert contract["problems"] == []
    assert [e["name"] for e in contract["events"]] == catalogue.names()
    text = next(e for e in contract["events"] if e["name"] == "wa.text")
    assert text["channel"] == "wa" and text["message_type"] == "text"
    assert "classic" in text["dialects"]
    assert {g["key"] for g in contract["graph_errors"]} == set(graph_errors())


def test_side_files_junit_cucumber_allure_and_index(suite: Any) -> None:
    result, out, _ = suite
    result.stdout.fnmatch_lines([f"*metasim report: {out / 'index.html'}*"])
    junit = ET.parse(out / "junit.xml").getroot()
    assert junit.find("testsuite").get("tests") == "10"  # 9 scenarios + the plain test
    cucumber = json.loads((out / "cucumber.json").read_text(encoding="utf-8"))
    names = {e["name"] for f in cucumber for e in f["elements"]}
    assert "A status update is acknowledged and not answered" in names
    allure = {
        r["name"]: r
        for r in (json.loads(p.read_text()) for p in (out / "allure-results").glob("*-result.json"))
    }
    assert allure["A status update is acknowledged and not answered"]["status"] == "failed"
    assert allure["A text message becomes a canonical envelope"]["status"] == "passed"
    # allure-pytest-bdd writes a result only for scenarios whose steps started: the one broken
    # in setup is in junit.xml and results.json, not in Allure
    assert len(allure) == 8 - 1  # two outline rows share one name in this dict
    assert (out / "index.html").read_text(encoding="utf-8").startswith("<!doctype html>")


def test_explicit_paths_win_and_previous_results_are_kept(pytester: pytest.Pytester) -> None:
    run_suite(pytester, "--junitxml", "elsewhere.xml")
    assert (pytester.path / "elsewhere.xml").exists()
    assert not (pytester.path / "out" / "junit.xml").exists()
    first = (pytester.path / "out" / "results.json").read_text(encoding="utf-8")
    pytester.runpytest("--metasim-report", "out")
    assert (pytester.path / "out" / "previous-results.json").read_text(encoding="utf-8") == first


def test_inert_without_the_option(pytester: pytest.Pytester) -> None:
    write_suite(pytester)
    result = pytester.runpytest()
    result.assert_outcomes(passed=5, failed=2, skipped=2, errors=1)
    assert not (pytester.path / "out").exists()
    assert not list(pytester.path.glob("**/results.json"))
