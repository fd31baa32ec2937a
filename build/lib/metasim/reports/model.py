"""The results of one acceptance run (results.json): scenarios, steps, outcomes, run facts."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

FORMAT = "metasim-results/1"
PASSED, FAILED, NOT_APPLICABLE, SKIPPED = "passed", "failed", "not_applicable", "skipped"
# a check outside the levels the target chose (the reference gateway's own policy, say) that
# did not hold: shown to the team as advice, never counted as a failure
ADVICE = "advice"
OUTCOMES = (FAILED, ADVICE, PASSED, NOT_APPLICABLE, SKIPPED)  # display order: failures first
CHANNELS = ("wa", "ig", "msg")

# Tag shapes fixed by the backlog: @T2.01 (scenario id) and @P0-01 (ticket).
SCENARIO_ID = re.compile(r"^T(\d+)\.(\d+)[a-z]?$")
TICKET = re.compile(r"^P\d-\d\d$")


class ResultsError(ValueError):
    """results.json is missing, not JSON or not in the metasim-results format."""


@dataclass
class StepResult:
    """One Gherkin step: keyword, text, status (passed|failed|skipped|not_run), time, error."""

    keyword: str
    name: str
    line: int
    status: str
    duration_s: float = 0.0
    error: str | None = None


@dataclass
class ScenarioResult:
    """One executed scenario (one Examples row of an outline) with its evidence."""

    nodeid: str
    id: str | None
    section: str | None
    tickets: list[str]
    channel: str | None
    tags: list[str]
    name: str
    feature: str
    feature_file: str
    line: int
    example: dict[str, str]
    outcome: str
    reason: str | None
    duration_s: float
    steps: list[StepResult]
    error: str | None
    evidence: dict[str, Any]


@dataclass
class RunInfo:
    """Facts about the run: target, versions, times, pytest exit status."""

    target: str
    started_at: str
    finished_at: str
    duration_s: float
    versions: dict[str, str]
    exit_status: int
    command: str
    extra: dict[str, str] = field(default_factory=dict)


@dataclass
class Results:
    """Everything results.json holds."""

    run: RunInfo
    scenarios: list[ScenarioResult]
    contract: dict[str, Any]
    # run-wide traffic facts: stray sends, reply loops, where status webhooks went back
    traffic: dict[str, Any] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """Scenario count per outcome plus the total."""
        out = {o: 0 for o in OUTCOMES}
        for s in self.scenarios:
            out[s.outcome] = out.get(s.outcome, 0) + 1
        out["total"] = len(self.scenarios)
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form with the format marker."""
        return {
            "format": FORMAT,
            "run": asdict(self.run),
            "counts": self.counts(),
            "scenarios": [asdict(s) for s in self.scenarios],
            "contract": self.contract,
            "traffic": self.traffic,
        }

    def write(self, path: Path) -> None:
        """Write results.json (UTF-8, stable key order)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=1, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Results:
        """Inverse of :meth:`to_dict`."""
        if doc.get("format") != FORMAT:
            raise ResultsError(f"format {doc.get('format')!r} is not {FORMAT!r}")
        scenarios = []
        for raw in doc["scenarios"]:
            steps = [StepResult(**st) for st in raw["steps"]]
            scenarios.append(ScenarioResult(**{**raw, "steps": steps}))
        return cls(
            run=RunInfo(**doc["run"]),
            scenarios=scenarios,
            contract=doc.get("contract", {}),
            traffic=doc.get("traffic", {}),
        )

    @classmethod
    def read(cls, path: Path) -> Results:
        """Load results.json, with an error naming the file and what is wrong."""
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ResultsError(f"{path}: no results; run the suite with --metasim-report") from exc
        except ValueError as exc:
            raise ResultsError(f"{path}: not JSON ({exc})") from exc
        try:
            return cls.from_dict(doc)
        except (KeyError, TypeError) as exc:
            raise ResultsError(f"{path}: not a metasim results file ({exc})") from exc
        except ResultsError as exc:
            raise ResultsError(f"{path}: {exc}") from exc


def classify_tags(tags: list[str]) -> tuple[str | None, str | None, list[str], str | None]:
    """(scenario id, T-section, tickets, channel) read from a scenario's tags."""
    ids = [t for t in tags if SCENARIO_ID.match(t)]
    scenario_id = sorted(ids)[0] if ids else None
    match = SCENARIO_ID.match(scenario_id) if scenario_id else None
    section = f"T{match.group(1)}" if match else None
    tickets = sorted({t for t in tags if TICKET.match(t)})
    channels = [t for t in tags if t in CHANNELS]
    return scenario_id, section, tickets, channels[0] if len(channels) == 1 else None


def section_key(section: str | None) -> tuple[int, str]:
    """Sort key putting T2 before T10 and sectionless scenarios last."""
    if section and section[1:].isdigit():
        return int(section[1:]), section
    return 10_000, section or ""


def id_key(scenario_id: str | None) -> tuple[int, int, str]:
    """Sort key for ids: T2.9 < T2.10 < T10.1; id-less last."""
    match = SCENARIO_ID.match(scenario_id or "")
    if not match:
        return 10_000, 0, scenario_id or ""
    return int(match.group(1)), int(match.group(2)), scenario_id or ""
