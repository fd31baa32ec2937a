"""The reference gateway's code coverage: coverage.py's JSON summary, read for the report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

COVERAGE_JSON = "coverage.json"
COVERAGE_HTML = "coverage/index.html"


def summary(out_dir: Path) -> dict[str, Any] | None:
    """Totals and per-file figures from ``out_dir/coverage.json``; None when there is none."""
    path = out_dir / COVERAGE_JSON
    if not path.exists():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        totals = doc["totals"]
        files = [
            {
                "path": name,
                "statements": f["summary"]["num_statements"],
                "missing": f["summary"]["missing_lines"],
                "percent": round(f["summary"]["percent_covered"], 1),
            }
            for name, f in sorted(doc["files"].items())
        ]
    except (ValueError, KeyError, TypeError) as exc:
        return {"error": f"{path.name} is not a coverage.py JSON report ({exc})"}
    return {
        "percent": round(totals["percent_covered"], 1),
        "statements": totals["num_statements"],
        "missing": totals["missing_lines"],
        "files": files,
        "html": COVERAGE_HTML if (out_dir / COVERAGE_HTML).exists() else None,
        "measured_at": doc.get("meta", {}).get("timestamp"),
    }
