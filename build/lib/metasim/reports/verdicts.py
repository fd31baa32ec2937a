"""Verdicts changed after a scenario ended (late traffic), carried into every output of the run.

A scenario's check can be broken by traffic that arrives after the scenario finished: a retry
one second later, a second reply, a reply loop. The harness finds those at the end of the run;
this module turns each finding into a failed verdict in results.json and the HTML report (the
plugin reads :func:`amended`), JUnit XML, cucumber JSON, Allure results and the exit status.
"""

from __future__ import annotations

import json
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LATE_PREFIX = "failed after the scenario ended: "


@dataclass
class Amendment:
    """One scenario turned failed after its end, and why."""

    nodeid: str
    name: str  # the scenario's rendered title (Allure names results by it)
    example: dict[str, str]
    messages: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The failure text shown everywhere."""
        return LATE_PREFIX + "\n".join(self.messages)


@dataclass
class TrafficNotes:
    """Run-wide traffic facts the report shows in sections of their own."""

    stray: list[dict[str, Any]] = field(default_factory=list)
    loops: list[dict[str, Any]] = field(default_factory=list)
    callbacks: dict[str, Any] = field(default_factory=dict)


_lock = threading.Lock()
_amended: dict[str, Amendment] = {}
_notes = TrafficNotes()


def reset() -> None:
    """Forget everything (start of a run)."""
    global _notes
    with _lock:
        _amended.clear()
        _notes = TrafficNotes()


def amend(
    nodeid: str, message: str, *, name: str = "", example: dict[str, str] | None = None
) -> None:
    """Turn scenario ``nodeid`` failed with ``message`` (several messages add up)."""
    with _lock:
        found = _amended.setdefault(nodeid, Amendment(nodeid, name, dict(example or {})))
        if message not in found.messages:
            found.messages.append(message)


def amended() -> dict[str, Amendment]:
    """Every amendment so far, by node id."""
    with _lock:
        return dict(_amended)


def note_traffic(
    *,
    stray: list[dict[str, Any]] | None = None,
    loops: list[dict[str, Any]] | None = None,
    callbacks: dict[str, Any] | None = None,
) -> None:
    """Record run-wide traffic facts (stray sends, reply loops, the closed loop's settings)."""
    with _lock:
        if stray is not None:
            _notes.stray = list(stray)
        if loops is not None:
            _notes.loops = list(loops)
        if callbacks is not None:
            _notes.callbacks = dict(callbacks)


def traffic() -> dict[str, Any]:
    """The run-wide traffic facts, JSON-ready."""
    with _lock:
        return {"stray": _notes.stray, "loops": _notes.loops, "callbacks": _notes.callbacks}


# -- the files other plugins wrote ------------------------------------------------------------
def patch_junit(path: Path, amendments: dict[str, Amendment]) -> int:
    """Add a <failure> to each amended testcase of a JUnit XML file; returns how many."""
    if not amendments or not path.exists():
        return 0
    tree = ET.parse(path)
    by_name = {a.nodeid.split("::")[-1]: a for a in amendments.values()}
    changed = 0
    for suite in tree.iter("testsuite"):
        for case in suite.iter("testcase"):
            found = by_name.get(case.get("name", ""))
            if found is None or case.find("failure") is not None or case.find("error") is not None:
                continue
            for skipped in case.findall("skipped"):
                case.remove(skipped)
            failure = ET.SubElement(case, "failure", message="late traffic")
            failure.text = found.text
            changed += 1
        if changed:
            suite.set("failures", str(int(suite.get("failures", "0")) + changed))
    tree.write(path, encoding="utf-8", xml_declaration=True)
    return changed


def patch_cucumber(path: Path, amendments: dict[str, Amendment]) -> int:
    """Mark each amended scenario's last step failed in a cucumber JSON file."""
    if not amendments or not path.exists():
        return 0
    features = json.loads(path.read_text(encoding="utf-8"))
    by_id = {a.nodeid.split("::")[-1]: a for a in amendments.values()}
    changed = 0
    for feature in features:
        for element in feature.get("elements", []):
            found = by_id.get(element.get("id", ""))
            steps = element.get("steps") or []
            if found is None or not steps:
                continue
            result = steps[-1].setdefault("result", {})
            if result.get("status") != "failed":
                result.update(status="failed", error_message=found.text)
                changed += 1
    path.write_text(json.dumps(features, indent=2), encoding="utf-8")
    return changed


def patch_allure(folder: Path, amendments: dict[str, Amendment]) -> int:
    """Mark each amended scenario's Allure result failed, with the late finding as its message."""
    if not amendments or not folder.is_dir():
        return 0
    wanted = {(a.name, tuple(sorted(a.example.items()))): a for a in amendments.values()}
    changed = 0
    for result_file in folder.glob("*-result.json"):
        data = json.loads(result_file.read_text(encoding="utf-8"))
        params = tuple(sorted((p["name"], p["value"]) for p in data.get("parameters", [])))
        found = wanted.get((data.get("name", ""), params))
        if found is None or data.get("status") in ("failed", "broken"):
            continue
        data["status"] = "failed"
        data["statusDetails"] = {"message": found.text}
        result_file.write_text(json.dumps(data), encoding="utf-8")
        changed += 1
    return changed
