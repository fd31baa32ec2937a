"""What changed since the previous run kept in reports/out: newly failing, newly passing, new, gone."""

from __future__ import annotations

from dataclasses import dataclass, field

from metasim.reports.model import FAILED, PASSED, Results, ScenarioResult


@dataclass
class Change:
    """One scenario whose outcome moved, with its outcome before (None when it is new)."""

    scenario: ScenarioResult
    before: str | None


@dataclass
class RunDiff:
    """The changes between the previous run and this one, keyed by pytest node id."""

    previous_started_at: str
    newly_failing: list[Change] = field(default_factory=list)
    newly_passing: list[Change] = field(default_factory=list)
    other_changes: list[Change] = field(default_factory=list)
    new: list[ScenarioResult] = field(default_factory=list)
    gone: list[ScenarioResult] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """True when nothing changed."""
        return not (
            self.newly_failing or self.newly_passing or self.other_changes or self.new or self.gone
        )


def compare(previous: Results, current: Results) -> RunDiff:
    """Compare two runs scenario by scenario (an outline row is one scenario)."""
    before = {s.nodeid: s for s in previous.scenarios}
    now = {s.nodeid: s for s in current.scenarios}
    diff = RunDiff(previous_started_at=previous.run.started_at)
    for nodeid, scenario in now.items():
        old = before.get(nodeid)
        if old is None:
            diff.new.append(scenario)
            if scenario.outcome == FAILED:
                diff.newly_failing.append(Change(scenario, None))
        elif old.outcome != scenario.outcome:
            change = Change(scenario, old.outcome)
            if scenario.outcome == FAILED:
                diff.newly_failing.append(change)
            elif scenario.outcome == PASSED:
                diff.newly_passing.append(change)
            else:
                diff.other_changes.append(change)
    diff.gone = [s for nodeid, s in before.items() if nodeid not in now]
    return diff
