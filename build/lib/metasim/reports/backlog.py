"""The backlog map (payloads/backlog.json) and the TRACKING table recomputed from results.

How a ticket's status is derived (docs/accuracy.md, "The backlog's ticket table"): the
scenarios the backlog itself names for the ticket decide it (its TRACKING test ids; a ticket
whose row names none is decided by the scenarios tagged with it); a DONE ticket is never
decided by a scenario that also belongs to a ticket still to do; every other scenario tagged
with the ticket is shown as related, and scenarios no ticket names are "beyond the backlog".
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from metasim.reports.model import ADVICE, FAILED, PASSED, TICKET, ScenarioResult, id_key

BACKLOG_PATH = Path(__file__).resolve().parent.parent / "payloads" / "backlog.json"
DONE, PARTIAL, FAILING, UNTESTED = "done", "partial", "failing", "untested"


class BacklogError(ValueError):
    """backlog.json is malformed; the message names the ticket and the field."""


@dataclass
class Ticket:
    """One backlog ticket and the test ids / sections it is checked by."""

    key: str
    priority: str
    title: str
    description: str
    file: str
    tracking: str
    tests: list[str]
    sections: list[str]


@dataclass
class Backlog:
    """Tickets in backlog order and the subject of each T-section."""

    tickets: dict[str, Ticket]
    sections: dict[str, str] = field(default_factory=dict)


def load(path: Path = BACKLOG_PATH) -> Backlog:
    """Read and check backlog.json."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BacklogError(f"{path}: cannot read the backlog map ({exc})") from exc
    tickets: dict[str, Ticket] = {}
    for key, raw in doc.get("tickets", {}).items():
        if not TICKET.match(key):
            raise BacklogError(f"{path.name}: ticket key {key!r} is not shaped like P0-01")
        missing = [f for f in ("priority", "title", "tests") if f not in raw]
        if missing:
            raise BacklogError(f"{path.name}: ticket {key} lacks {', '.join(missing)}")
        tickets[key] = Ticket(
            key=key,
            priority=str(raw["priority"]),
            title=str(raw["title"]),
            description=str(raw.get("description", "")),
            file=str(raw.get("file", "")),
            tracking=str(raw.get("tracking", "")),
            tests=[str(t) for t in raw["tests"]],
            sections=[str(s) for s in raw.get("sections", [])],
        )
    return Backlog(
        tickets=tickets, sections={str(k): str(v) for k, v in doc.get("sections", {}).items()}
    )


def matches(pattern: str, scenario_id: str | None) -> bool:
    """True when ``scenario_id`` is ``pattern`` or falls under a section pattern like ``T3.*``."""
    if scenario_id is None:
        return False
    if pattern.endswith(".*"):
        return scenario_id.startswith(pattern[:-1])
    return scenario_id == pattern


def named(ticket: Ticket, scenario: ScenarioResult) -> bool:
    """The backlog names this scenario for the ticket: one of its TRACKING test ids, or, for a
    ticket whose TRACKING row names no test, the ticket's tag (the criteria the suite checks)."""
    if ticket.tests:
        return any(matches(p, scenario.id) for p in ticket.tests)
    return ticket.key in scenario.tickets


def members(ticket: Ticket, scenarios: list[ScenarioResult]) -> list[ScenarioResult]:
    """Scenarios tagged with the ticket or carrying one of its test ids."""
    return [
        s
        for s in scenarios
        if ticket.key in s.tickets or any(matches(p, s.id) for p in ticket.tests)
    ]


def deciding(
    backlog: Backlog, ticket: Ticket, scenarios: list[ScenarioResult]
) -> list[ScenarioResult]:
    """The scenarios that decide the ticket's status.

    Those the backlog names for it; and for a ticket the backlog marks DONE, not those that
    also belong to a ticket still to do (T2.06 is P0-01's and P1-02's: a gateway that has not
    done P1-02 yet must not sink P0-01 with it).
    """
    found = [s for s in scenarios if named(ticket, s)]
    if ticket.tracking.upper() != "DONE":
        return found
    todo = [t for t in backlog.tickets.values() if t.tracking.upper() != "DONE"]
    return [s for s in found if not any(named(t, s) or t.key in s.tickets for t in todo)]


def beyond(backlog: Backlog, scenarios: list[ScenarioResult]) -> list[ScenarioResult]:
    """Scenarios no ticket of the backlog names: shown apart, never deciding a ticket."""
    tickets = list(backlog.tickets.values())
    return [s for s in scenarios if not any(named(t, s) for t in tickets)]


def status(scenarios: list[ScenarioResult], missing: list[str]) -> str:
    """done: all pass and no expected id is missing; failing: one fails; untested: none ran."""
    # advice (a check outside the target's levels) never decides a ticket
    outcomes = [s.outcome for s in scenarios if s.outcome != ADVICE]
    if FAILED in outcomes:
        return FAILING
    if PASSED not in outcomes:
        return UNTESTED
    if all(o == PASSED for o in outcomes) and not missing:
        return DONE
    return PARTIAL


def ticket_rows(backlog: Backlog, scenarios: list[ScenarioResult]) -> list[dict[str, Any]]:
    """One row per ticket (backlog order), then tickets tagged in scenarios but absent from the map."""
    rows = []
    order = lambda s: (id_key(s.id), s.nodeid)  # noqa: E731
    for ticket in backlog.tickets.values():
        found = sorted(deciding(backlog, ticket, scenarios), key=order)
        related = sorted((s for s in members(ticket, scenarios) if s not in found), key=order)
        present = {s.id for s in members(ticket, scenarios)}
        missing = [t for t in ticket.tests if not t.endswith(".*") and t not in present]
        rows.append(
            {
                "ticket": ticket,
                "scenarios": found,
                "related": related,
                "missing": missing,
                "status": status(found, missing),
                "known": True,
            }
        )
    tagged = sorted({t for s in scenarios for t in s.tickets} - set(backlog.tickets))
    for key in tagged:
        found = [s for s in scenarios if key in s.tickets]
        unknown = Ticket(key, key[:2], "(not in payloads/backlog.json)", "", "", "", [], [])
        rows.append(
            {
                "ticket": unknown,
                "scenarios": found,
                "related": [],
                "missing": [],
                "status": status(found, []),
                "known": False,
            }
        )
    return rows
