"""Contract coverage: catalogue events (type x dialect x channel) and Graph error codes exercised."""

from __future__ import annotations

from typing import Any

from metasim.reports.model import ScenarioResult


def snapshot() -> dict[str, Any]:
    """The catalogue and the Graph error codes as they are now, stored in results.json."""
    out: dict[str, Any] = {"events": [], "graph_errors": [], "problems": []}
    try:
        from metasim.simulator import catalogue

        for e in catalogue.events():
            out["events"].append(
                {
                    "name": e.name,
                    "channel": e.channel,
                    "kind": e.kind,
                    "message_type": e.message_type,
                    "dialects": list(e.dialects),
                    "description": e.description,
                }
            )
    except Exception as exc:  # the report must still be written when a sample file is broken
        out["problems"].append(f"event catalogue could not be read: {exc}")
    try:
        from metasim.simulator.graph.errors import catalogue as graph_errors

        for key, g in graph_errors().items():
            out["graph_errors"].append(
                {
                    "key": key,
                    "code": g.code,
                    "subcode": g.subcode,
                    "http": g.http,
                    "title": g.title,
                    "channel": g.channel,
                }
            )
    except Exception as exc:
        out["problems"].append(f"Graph error catalogue could not be read: {exc}")
    return out


def _marks(scenarios: list[ScenarioResult]) -> list[tuple[dict[str, Any], ScenarioResult]]:
    return [(m, s) for s in scenarios for m in s.evidence.get("exercised", [])]


def event_rows(contract: dict[str, Any], scenarios: list[ScenarioResult]) -> list[dict[str, Any]]:
    """One row per (event, dialect) of the catalogue with the scenarios that sent it.

    A mark without a dialect counts for the event's first dialect (``build()``'s default).
    Marks naming an event the catalogue lacks get rows of their own, flagged ``unknown``.
    """
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for e in contract.get("events", []):
        for dialect in e["dialects"]:
            rows[(e["name"], dialect)] = {**e, "dialect": dialect, "by": [], "unknown": False}
    firsts = {e["name"]: e["dialects"][0] for e in contract.get("events", []) if e["dialects"]}
    for mark, scenario in _marks(scenarios):
        name = mark.get("event")
        if not name:
            continue
        dialect = mark.get("dialect") or firsts.get(name, "classic")
        row = rows.get((name, dialect))
        if row is None:
            row = rows[(name, dialect)] = {
                "name": name,
                "channel": mark.get("channel") or name.split(".")[0],
                "kind": "?",
                "message_type": None,
                "dialect": dialect,
                "description": "not in the catalogue (payloads/samples)",
                "by": [],
                "unknown": True,
            }
        if scenario not in row["by"]:
            row["by"].append(scenario)
    return sorted(rows.values(), key=lambda r: (r["channel"], r["name"], r["dialect"]))


def graph_error_rows(
    contract: dict[str, Any], scenarios: list[ScenarioResult]
) -> list[dict[str, Any]]:
    """One row per Graph error of the fake's catalogue with the scenarios that provoked it.

    A mark matches the catalogue key first (the code, or the subcode for Messenger's subcode
    errors), then the plain code.
    """
    rows = {g["key"]: {**g, "by": [], "unknown": False} for g in contract.get("graph_errors", [])}
    by_code = {str(g["code"]): g["key"] for g in contract.get("graph_errors", [])}
    for mark, scenario in _marks(scenarios):
        code = mark.get("graph_error_code")
        if code is None:
            continue
        key = code if code in rows else by_code.get(code, code)
        row = rows.get(key)
        if row is None:
            row = rows[key] = {
                "key": key, "code": code, "subcode": None, "http": None,
                "title": "not in payloads/graph-errors.json", "channel": None,
                "by": [], "unknown": True,
            }  # fmt: skip
        if scenario not in row["by"]:
            row["by"].append(scenario)
    return sorted(
        rows.values(),
        key=lambda r: (int(r["key"]) if str(r["key"]).isdigit() else 1 << 40, str(r["key"])),
    )


def summary(rows: list[dict[str, Any]]) -> dict[str, int]:
    """Exercised / total, unknown marks apart."""
    known = [r for r in rows if not r["unknown"]]
    return {
        "total": len(known),
        "exercised": sum(1 for r in known if r["by"]),
        "unknown": sum(1 for r in rows if r["unknown"]),
    }


def by_channel(rows: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """:func:`summary` per channel (rows without a channel under "any")."""
    channels = sorted({r.get("channel") or "any" for r in rows})
    return {ch: summary([r for r in rows if (r.get("channel") or "any") == ch]) for ch in channels}
