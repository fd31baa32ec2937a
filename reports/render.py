"""Renders reports/out/index.html: one self-contained page (inline CSS and JS, no network)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from jinja2 import Environment
from markupsafe import Markup

from metasim.reports import backlog as backlog_map
from metasim.reports import codecov, contract
from metasim.reports.diff import RunDiff, compare
from metasim.reports.jinja import templates
from metasim.reports.model import CHANNELS, OUTCOMES, Results, ResultsError, ScenarioResult, id_key
from metasim.reports.model import section_key as _section_key

HERE = Path(__file__).resolve().parent
INDEX = "index.html"
RESULTS = "results.json"
PREVIOUS = "previous-results.json"
# Files written beside the report by other tools; linked when present.
ARTIFACTS = (
    ("results.json", "results (JSON)"),
    ("junit.xml", "JUnit XML"),
    ("cucumber.json", "cucumber JSON"),
    ("allure-results", "Allure results"),
    ("allure-report/index.html", "Allure report"),
    ("coverage/index.html", "code coverage (HTML)"),
    ("gateway-output.log", "the started gateway's output"),
)
NO_CHANNEL = "none"


def anchor(scenario: ScenarioResult) -> str:
    """A stable HTML id for a scenario (node ids hold characters ids cannot)."""
    return "s-" + hashlib.sha1(scenario.nodeid.encode("utf-8")).hexdigest()[:12]


def pretty(text: str) -> str:
    """JSON text indented for reading; other text unchanged."""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


def short_error(text: str) -> str:
    """The ``E`` lines of a pytest failure (the message), else its last line."""
    lines = [ln[1:].strip() for ln in text.splitlines() if ln.startswith("E ")]
    if lines:
        return "\n".join(lines)
    rest = [ln for ln in text.splitlines() if ln.strip()]
    return rest[-1] if rest else text


def _matrix(scenarios: list[ScenarioResult]) -> dict[str, Any]:
    sections = sorted({s.section or "—" for s in scenarios}, key=_section_key)
    channels = [*CHANNELS, NO_CHANNEL]
    cells: dict[str, dict[str, dict[str, int]]] = {
        sec: {ch: {o: 0 for o in OUTCOMES} for ch in channels} for sec in sections
    }
    for s in scenarios:
        cells[s.section or "—"][s.channel or NO_CHANNEL][s.outcome] += 1
    used = [ch for ch in channels if any(sum(cells[sec][ch].values()) for sec in sections)]
    return {"sections": sections, "channels": used or list(CHANNELS), "cells": cells}


def _order(scenarios: list[ScenarioResult]) -> list[ScenarioResult]:
    rank = {o: i for i, o in enumerate(OUTCOMES)}  # failures first, then passed, n/a, skipped
    return sorted(scenarios, key=lambda s: (rank.get(s.outcome, 9), id_key(s.id), s.nodeid))


def _previous(out_dir: Path, current: Results) -> tuple[RunDiff | None, str | None]:
    path = out_dir / PREVIOUS
    if not path.exists():
        return None, None
    try:
        return compare(Results.read(path), current), None
    except ResultsError as exc:
        return None, str(exc)


def _step_pages(out_dir: Path) -> list[str]:
    return sorted(p.name for p in out_dir.glob("steps*.html"))


def build_view(out_dir: Path, backlog_path: Path = backlog_map.BACKLOG_PATH) -> dict[str, Any]:
    """Everything the template shows, computed from the files in ``out_dir``."""
    results = Results.read(out_dir / RESULTS)
    scenarios = results.scenarios
    backlog = backlog_map.load(backlog_path)
    diff, diff_error = _previous(out_dir, results)
    events = contract.event_rows(results.contract, scenarios)
    errors = contract.graph_error_rows(results.contract, scenarios)
    return {
        "run": results.run,
        "counts": results.counts(),
        "scenarios": _order(scenarios),
        "tickets": backlog_map.ticket_rows(backlog, scenarios),
        "beyond_backlog": _order(backlog_map.beyond(backlog, scenarios)),
        "sections": backlog.sections,
        "matrix": _matrix(scenarios),
        "events": events,
        "events_summary": contract.summary(events),
        "events_by_channel": contract.by_channel(events),
        "graph_errors": errors,
        "graph_errors_summary": contract.summary(errors),
        "contract_problems": results.contract.get("problems", []),
        "coverage": codecov.summary(out_dir),
        "traffic": {"stray": [], "loops": [], "callbacks": {}, "late": [], **results.traffic},
        "diff": diff,
        "diff_error": diff_error,
        "step_pages": _step_pages(out_dir),
        "artifacts": [(p, label) for p, label in ARTIFACTS if (out_dir / p).exists()],
        "filters": {
            "sections": sorted({s.section for s in scenarios if s.section}, key=_section_key),
            "tickets": sorted({t for s in scenarios for t in s.tickets}),
            "channels": sorted({s.channel or NO_CHANNEL for s in scenarios}),
            "outcomes": [o for o in OUTCOMES if results.counts()[o]],
        },
    }


def _environment() -> Environment:
    env = templates()
    env.filters["anchor"] = anchor
    env.filters["pretty"] = pretty
    env.filters["short_error"] = short_error
    env.filters["label"] = lambda outcome: outcome.replace("_", " ")
    env.filters["tojson_compact"] = lambda v: json.dumps(v, ensure_ascii=False)
    return env


def render(out_dir: Path, backlog_path: Path = backlog_map.BACKLOG_PATH) -> Path:
    """Write ``out_dir/index.html`` from ``out_dir/results.json`` and what lies beside it."""
    view = build_view(out_dir, backlog_path)
    static = HERE / "static"
    html = (
        _environment()
        .get_template("index.html")
        .render(
            **view,
            css=Markup((static / "report.css").read_text(encoding="utf-8")),
            js=Markup((static / "report.js").read_text(encoding="utf-8")),
        )
    )
    path = out_dir / INDEX
    path.write_text(html, encoding="utf-8")
    return path
