"""Renders a load run's HTML report (reports/templates/load.html): inline CSS and SVG, no network."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from markupsafe import Markup

from metasim.reports.jinja import templates

HERE = Path(__file__).resolve().parent


def _value(value: Any) -> str:
    # nested figures (outcome counts, timeouts) read better as compact JSON than as a repr
    if isinstance(value, Mapping | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def render(doc: Mapping[str, Any], line: Mapping[str, list[float]], svgs: Sequence[str]) -> str:
    """The page for one run's JSON document (``run``, optional ``accounting``, ``steps``)."""
    env = templates()
    env.filters["value"] = _value
    accounting = doc.get("accounting")
    return env.get_template("load.html").render(
        run=doc.get("run", {}),
        accounting=accounting,
        steps=doc.get("steps", []),
        sustained=doc.get("sustained"),
        plots=[Markup(svg) for svg in svgs],  # built from numbers and escaped labels only
        seconds=len(line.get("t", [])),
        css=Markup((HERE / "static" / "report.css").read_text(encoding="utf-8")),
    )
