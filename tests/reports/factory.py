"""Hand-built results for renderer tests (no pytest run needed)."""

from __future__ import annotations

from typing import Any

from metasim.reports.model import Results, RunInfo, ScenarioResult, StepResult

CONTRACT = {
    "events": [
        {"name": "wa.text", "channel": "wa", "kind": "message", "message_type": "text",
         "dialects": ["classic", "bsuid"], "description": "a text"},
        {"name": "ig.story_reply", "channel": "ig", "kind": "message", "message_type": "text",
         "dialects": ["classic"], "description": "a reply to a story"},
    ],
    "graph_errors": [
        {"key": "131047", "code": 131047, "subcode": None, "http": 400,
         "title": "Re-engagement message", "channel": "wa"},
        {"key": "2018001", "code": 100, "subcode": 2018001, "http": 400,
         "title": "No matching user found", "channel": "msg"},
    ],
    "problems": [],
}  # fmt: skip


def scenario(nodeid: str, outcome: str = "passed", **fields: Any) -> ScenarioResult:
    """A scenario result with plausible defaults; ``fields`` override any of them."""
    base: dict[str, Any] = {
        "nodeid": nodeid,
        "id": None,
        "section": None,
        "tickets": [],
        "channel": None,
        "tags": [],
        "name": f"scenario {nodeid}",
        "feature": "Native parsing",
        "feature_file": "features/t2_parsing.feature",
        "line": 3,
        "example": {},
        "outcome": outcome,
        "reason": None,
        "duration_s": 0.25,
        "steps": [StepResult("Given", "the sample \"wa.text\"", 4, "passed", 0.01, None)],
        "error": None,
        "evidence": {"payloads": [], "answers": [], "graph_calls": [], "logs": [],
                     "exercised": [], "dropped": {}},
    }  # fmt: skip
    if fields.get("id") and "section" not in fields:
        fields["section"] = fields["id"].split(".")[0]
    base.update(fields)
    return ScenarioResult(**base)


def results(scenarios: list[ScenarioResult], started: str = "2026-11-25T10:00:00Z") -> Results:
    """A Results around ``scenarios``."""
    run = RunInfo(
        target="reference",
        started_at=started,
        finished_at=started,
        duration_s=12.5,
        versions={"python": "3.11.7", "gateway": "0.1.0"},
        exit_status=1,
        command="pytest features --metasim-report reports/out",
    )
    return Results(run=run, scenarios=scenarios, contract=CONTRACT)
