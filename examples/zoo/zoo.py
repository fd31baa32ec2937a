"""The harness-accuracy zoo's tool: the suite's scenario inventory, and a run compared with
what a gateway's expected.csv says a correct harness should conclude.

    .venv/bin/python examples/zoo/zoo.py inventory            # id,channel,scenario,tags (CSV)
    .venv/bin/python examples/zoo/zoo.py compare RUN_DIR examples/zoo/<gw>/expected.csv

RUN_DIR is the --metasim-report folder of a run (its results.json). compare prints every
disagreement and every scenario missing on either side, and exits 1 if there is any.

A scenario is named by its test id tag (T2.01), its channel (wa | ig | msg, "-" for none) and,
only where those two do not tell the Examples rows apart, its rendered title (plus the row's
values in brackets when even the title is shared). expected.csv's `scenario` column holds that
last part, empty when id and channel suffice.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEST_ID = re.compile(r"^T\d+\.\d+$")
CHANNELS = ("wa", "ig", "msg")
CHANNEL_WORDS = {"whatsapp": "wa", "instagram": "ig", "messenger": "msg"}
# results.json outcome -> expected.csv verdict
VERDICT = {"passed": "pass", "failed": "fail", "not_applicable": "na", "skipped": "skipped"}


def _channel(tags: set[str], example: dict[str, str]) -> str:
    found = [c for c in CHANNELS if c in tags]
    if len(found) == 1:
        return found[0]
    word = CHANNEL_WORDS.get(example.get("channel", "").strip().casefold())
    return word or "-"


def inventory() -> list[dict[str, str]]:
    """Every scenario (one per Examples row) of features/, in file order."""
    sys.path.insert(0, str(ROOT))
    from pytest_bdd.feature import get_features

    rows: list[dict[str, str]] = []
    for feature in get_features([str(ROOT / "features")]):
        for template in feature.scenarios.values():
            blocks = [(ex.tags, ctx) for ex in template.examples for ctx in ex.as_contexts()]
            for ex_tags, ctx in blocks or [(set(), {})]:
                tags = set(template.tags) | set(feature.tags) | set(ex_tags)
                example = {str(k): str(v) for k, v in ctx.items()}
                ids = sorted(t for t in tags if TEST_ID.match(t))
                rows.append(
                    {
                        "id": ",".join(ids) or "?",
                        "channel": _channel(tags, example),
                        "title": template.render(ctx).name,
                        "example": example,
                        "tags": " ".join(sorted(t for t in tags if t.startswith("needs-"))),
                    }
                )
    return _name(rows)


def _name(rows: list[dict[str, object]]) -> list[dict[str, str]]:
    """Fill each row's `scenario`: empty, the title, or the title plus the example values."""
    by_id = Counter((r["id"], r["channel"]) for r in rows)
    by_title = Counter((r["id"], r["channel"], r["title"]) for r in rows)
    for r in rows:
        if by_id[(r["id"], r["channel"])] == 1:
            r["scenario"] = ""
        elif by_title[(r["id"], r["channel"], r["title"])] == 1:
            r["scenario"] = str(r["title"])
        else:
            values = ",".join(f"{k}={v}" for k, v in dict(r["example"]).items())  # type: ignore[arg-type]
            r["scenario"] = f"{r['title']} [{values}]"
    return rows  # type: ignore[return-value]


def run_results(run_dir: Path) -> dict[tuple[str, str, str], dict[str, str]]:
    """results.json of a run, keyed like expected.csv."""
    data = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    rows = [
        {
            "id": s["id"] or "?",
            "channel": s["channel"] or "-",
            "title": s["name"],
            "example": s.get("example") or {},
            "outcome": VERDICT.get(s["outcome"], s["outcome"]),
            "reason": (s.get("error") or s.get("reason") or "").strip(),
        }
        for s in data["scenarios"]
    ]
    return {(r["id"], r["channel"], r["scenario"]): r for r in _name(rows)}


def expected(path: Path) -> dict[tuple[str, str, str], dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {(r["id"], r["channel"], r.get("scenario") or ""): r for r in rows}


def _last_line(text: str) -> str:
    for line in text.splitlines():
        if line.startswith("E ") or "AssertionError" in line:
            return line.strip()[:220]
    return text.strip().splitlines()[-1][:220] if text.strip() else ""


def compare(run_dir: Path, csv_path: Path) -> int:
    got, want = run_results(run_dir), expected(csv_path)
    problems = 0
    agree = Counter()
    for key in sorted(set(got) | set(want)):
        label = " ".join(k for k in key if k)
        if key not in want:
            print(f"NOT IN CSV   {label}: harness says {got[key]['outcome']}")
            problems += 1
        elif key not in got:
            print(f"NOT RUN      {label}: expected {want[key]['verdict']}")
            problems += 1
        elif got[key]["outcome"] != want[key]["verdict"]:
            w = want[key]
            print(
                f"DISAGREE     {label}: expected {w['verdict']}"
                f"{' (' + w['bug'] + ')' if w.get('bug') else ''}, harness says "
                f"{got[key]['outcome']}  | {_last_line(got[key]['reason'])}"
            )
            problems += 1
        else:
            agree[want[key]["verdict"]] += 1
    total = sum(agree.values())
    print(f"agree on {total} scenarios ({dict(agree)}), {problems} disagreement(s)")
    return 1 if problems else 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["inventory"]:
        out = csv.writer(sys.stdout, lineterminator="\n")
        out.writerow(["id", "channel", "scenario", "needs"])
        for r in inventory():
            out.writerow([r["id"], r["channel"], r["scenario"], r["tags"]])
        return 0
    if argv[:1] == ["compare"] and len(argv) == 3:
        return compare(Path(argv[1]), Path(argv[2]))
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
