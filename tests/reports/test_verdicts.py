"""Late verdicts reach the files JUnit, cucumber and Allure already wrote."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from metasim.reports import verdicts

NODEID = "features/test_features.py::test_a_fault_is_not_retried[WhatsApp-invalid parameter]"
NAME = "A invalid parameter answered to a WhatsApp reply is not retried"
LATE = "late traffic: a second send 1.2 s after the scenario ended"


def late() -> dict[str, verdicts.Amendment]:
    verdicts.reset()
    verdicts.amend(NODEID, LATE, name=NAME, example={"channel": "WhatsApp"})
    return verdicts.amended()


def test_junit_gains_a_failure_and_the_suite_count(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    path.write_text(
        '<testsuites><testsuite name="pytest" failures="0" tests="2">'
        '<testcase classname="features.test_features" '
        'name="test_a_fault_is_not_retried[WhatsApp-invalid parameter]" time="0.3"/>'
        '<testcase classname="features.test_features" name="test_other" time="0.1"/>'
        "</testsuite></testsuites>",
        encoding="utf-8",
    )
    assert verdicts.patch_junit(path, late()) == 1
    suite = ET.parse(path).getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "1"
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    failure = cases["test_a_fault_is_not_retried[WhatsApp-invalid parameter]"].find("failure")
    assert failure is not None and LATE in (failure.text or "")
    assert cases["test_other"].find("failure") is None


def test_cucumber_marks_the_last_step_failed(tmp_path: Path) -> None:
    path = tmp_path / "cucumber.json"
    element = {
        "id": "test_a_fault_is_not_retried[WhatsApp-invalid parameter]",
        "steps": [{"name": "a", "result": {"status": "passed"}}] * 2,
    }
    path.write_text(json.dumps([{"elements": [element]}]), encoding="utf-8")
    assert verdicts.patch_cucumber(path, late()) == 1
    steps = json.loads(path.read_text(encoding="utf-8"))[0]["elements"][0]["steps"]
    assert steps[0]["result"]["status"] == "passed"
    assert steps[-1]["result"] == {"status": "failed", "error_message": verdicts.LATE_PREFIX + LATE}


def test_allure_result_of_the_same_title_and_row_turns_failed(tmp_path: Path) -> None:
    row = [{"name": "channel", "value": "WhatsApp"}]
    (tmp_path / "a-result.json").write_text(
        json.dumps({"name": NAME, "status": "passed", "parameters": row}), encoding="utf-8"
    )
    other = [{"name": "channel", "value": "Messenger"}]
    (tmp_path / "b-result.json").write_text(
        json.dumps({"name": NAME, "status": "passed", "parameters": other}), encoding="utf-8"
    )
    assert verdicts.patch_allure(tmp_path, late()) == 1
    first = json.loads((tmp_path / "a-result.json").read_text(encoding="utf-8"))
    assert first["status"] == "failed" and LATE in first["statusDetails"]["message"]
    second = json.loads((tmp_path / "b-result.json").read_text(encoding="utf-8"))
    assert second["status"] == "passed"


class _Report:
    """The parts of a pytest TestReport that outcome_of reads."""

    def __init__(self, *, skipped: bool, wasxfail: str, text: str = "") -> None:
        self.failed, self.skipped, self.wasxfail, self.longreprtext = False, skipped, wasxfail, text


def test_a_check_outside_the_targets_levels_is_advice_not_a_failure() -> None:
    from metasim.reports.collect import outcome_of

    reason = "advice: the reference level's check (zoo is judged on meta, backlog)"
    held = outcome_of({"call": _Report(skipped=False, wasxfail=reason)})  # type: ignore[dict-item]
    assert held == ("passed", None, None)
    missed = _Report(skipped=True, wasxfail=reason, text="expected HTTP 400, got 422")
    outcome, why, error = outcome_of({"call": missed})  # type: ignore[dict-item]
    assert (outcome, why) == ("advice", reason) and "got 422" in (error or "")
