"""Turns a pytest item, its pytest-bdd scenario, step records and reports into a ScenarioResult."""

from __future__ import annotations

import time
from typing import Any

import pytest

from metasim.reports import evidence
from metasim.reports.model import (
    ADVICE,
    CHANNELS,
    FAILED,
    NOT_APPLICABLE,
    PASSED,
    SKIPPED,
    ScenarioResult,
    StepResult,
    classify_tags,
)

MAX_ERROR_CHARS = 20_000
ADVICE_PREFIX = "advice: "  # the xfail reason conftest.py gives a check outside the levels
# Examples columns QA may use for the channel of an outline row, and their spellings.
CHANNEL_COLUMNS = ("channel", "canal")
CHANNEL_WORDS = {"whatsapp": "wa", "instagram": "ig", "messenger": "msg"} | {c: c for c in CHANNELS}


def scenario_template(item: pytest.Item) -> Any | None:
    """The pytest-bdd ScenarioTemplate behind ``item``, None for a plain test."""
    try:
        from pytest_bdd.scenario import scenario_wrapper_template_registry
    except ImportError:  # pytest-bdd absent: nothing to report on
        return None
    func = getattr(item, "obj", None)
    return None if func is None else scenario_wrapper_template_registry.get(func)


def _example(item: pytest.Item) -> dict[str, str]:
    callspec = getattr(item, "callspec", None)
    if callspec is None:
        return {}
    return {str(k): str(v) for k, v in callspec.params.get("_pytest_bdd_example", {}).items()}


def _tags(item: pytest.Item, template: Any) -> list[str]:
    """Scenario, rule and feature tags, plus the tags of the Examples block this row comes from."""
    tags = set(template.tags) | set(template.feature.tags)
    if template.rule is not None:
        tags |= set(template.rule.tags)
    callspec = getattr(item, "callspec", None)
    # pytest-bdd turns an Examples block's tags into marks on that block's parameter set only
    tags |= {mark.name for mark in getattr(callspec, "marks", [])}
    return sorted(tags)


def _channel(tags: list[str], example: dict[str, str], marks: list[dict[str, Any]]) -> str | None:
    _, _, _, from_tags = classify_tags(tags)
    if from_tags:
        return from_tags
    for column in CHANNEL_COLUMNS:
        word = CHANNEL_WORDS.get(example.get(column, "").strip().casefold())
        if word:
            return word
    seen = {
        m["channel"] or (m["event"] or "").split(".")[0]
        for m in marks
        if m.get("event") or m.get("channel")
    }
    seen &= set(CHANNELS)
    return seen.pop() if len(seen) == 1 else None


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr or "")
    return reason.removeprefix("Skipped: ").strip()


def outcome_of(reports: dict[str, pytest.TestReport]) -> tuple[str, str | None, str | None]:
    """(outcome, reason, error text) from the setup / call / teardown reports."""
    for when in ("setup", "call", "teardown"):
        rep = reports.get(when)
        if rep is not None and rep.failed:
            text = rep.longreprtext
            if when != "call":
                text = f"error in {when}:\n{text}"
            return FAILED, None, text[:MAX_ERROR_CHARS]
    call = reports.get("call")
    if call is not None and hasattr(call, "wasxfail"):
        if call.skipped and str(call.wasxfail).startswith(ADVICE_PREFIX):
            # a check outside the target's levels did not hold: advice, with what was seen
            return ADVICE, str(call.wasxfail), (call.longreprtext or "")[:MAX_ERROR_CHARS]
        if call.skipped:  # an expected failure happened: known, not counted as passing
            return SKIPPED, f"xfail: {call.wasxfail}".rstrip(": "), None
        return PASSED, None, None
    for when in ("setup", "call"):
        rep = reports.get(when)
        if rep is not None and rep.skipped:
            reason = _skip_reason(rep)
            prefix = evidence.NOT_APPLICABLE_PREFIX.strip()
            if reason.casefold().startswith(prefix.casefold()):
                return NOT_APPLICABLE, reason[len(prefix) :].lstrip(" :").strip(), None
            return SKIPPED, reason, None
    if call is None:  # interrupted before the call phase
        return SKIPPED, "not run", None
    return PASSED, None, None


class PendingScenario:
    """The scenario being run: its item, template, step records, phase reports and evidence."""

    def __init__(self, item: pytest.Item, template: Any, ev: evidence.Evidence) -> None:
        self.item = item
        self.template = template
        self.evidence = ev
        self.steps: list[StepResult] = []
        self.step_started = time.perf_counter()
        self.reports: dict[str, pytest.TestReport] = {}

    def finish_step(self, status: str, error: str | None = None) -> None:
        """Close the running step with ``status``."""
        step = self.steps[-1]
        step.status = status
        step.duration_s = round(time.perf_counter() - self.step_started, 6)
        step.error = error

    def _all_steps(self, scenario: Any, outcome: str) -> list[StepResult]:
        steps = list(self.steps)
        for step in steps:
            if step.status == "running":  # left by pytest.skip / an interrupt, not an exception
                step.status = FAILED if outcome == FAILED else SKIPPED
        for step in scenario.steps[len(steps) :]:  # never reached
            steps.append(StepResult(step.keyword, step.name, step.line_number, SKIPPED))
        return steps

    def result(self) -> ScenarioResult:
        """The finished ScenarioResult."""
        example = _example(self.item)
        scenario = self.template.render(example)
        tags = _tags(self.item, self.template)
        scenario_id, section, tickets, _ = classify_tags(tags)
        outcome, reason, error = outcome_of(self.reports)
        ev = self.evidence.to_dict()
        feature = self.template.feature
        return ScenarioResult(
            nodeid=self.item.nodeid,
            id=scenario_id,
            section=section,
            tickets=tickets,
            channel=_channel(tags, example, ev["exercised"]),
            tags=tags,
            name=scenario.name,
            feature=feature.name,
            feature_file=feature.rel_filename,
            line=self.template.line_number,
            example=example,
            outcome=outcome,
            reason=reason,
            duration_s=round(sum(r.duration for r in self.reports.values()), 6),
            steps=self._all_steps(scenario, outcome),
            error=error,
            evidence=ev,
        )
