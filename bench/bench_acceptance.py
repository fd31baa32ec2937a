"""Wall time of the acceptance catalogue per target: in-process (the fast loop), real processes,
and a gateway that acknowledges everything and answers nothing (examples/zoo/silent: the reply
waits must end on its silence, within twice the reference's time).

``--baseline-tree DIR`` (a checkout of an earlier commit, e.g. ``git worktree add /tmp/base
d67935f``) runs the same targets there too, in interleaved rounds (this tree, then the
baseline, ``--rounds`` times), and prints per-scenario times with the median of the per-round
ratios."""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = (
    "reference-inprocess",
    "reference",
    "examples/zoo/silent/target.toml",
    "examples/targets/reference-external.toml",
)
COUNTS = re.compile(r"(\d+) (passed|failed|skipped|deselected)")


def run(target: str, tree: Path = ROOT, keyword: str = "") -> tuple[float, int, str]:
    """(wall seconds, scenarios run, pytest's summary line) for one catalogue run.

    ``keyword`` is a pytest ``-k`` expression (marker names are keywords too): ``-m`` would
    refuse a tag the baseline tree lacks, where ``-k "not heavy"`` keeps its whole catalogue.
    """
    started = time.perf_counter()
    select = ["-k", keyword] if keyword else []
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "features", "--target", target, "-q",
         "-p", "no:cacheprovider", "--durations=3", *select],
        cwd=tree, capture_output=True, text=True, check=False,
    )  # fmt: skip
    wall = time.perf_counter() - started
    lines = [ln for ln in done.stdout.splitlines() if not ln.startswith("{")]
    summary = next((ln for ln in reversed(lines) if "passed" in ln or "failed" in ln), "?")
    counts = {kind: int(n) for n, kind in COUNTS.findall(summary)}
    ran = counts.get("passed", 0) + counts.get("failed", 0) + counts.get("skipped", 0)
    return wall, ran, summary.strip("= ")


def against_baseline(targets: list[str], base: Path, rounds: int, keyword: str = "") -> None:
    """Per target: this tree and the baseline tree in interleaved rounds, per-scenario times."""
    print("| target | round | this tree: scenarios, wall, per scenario | baseline: scenarios, "
          "wall, per scenario | per-scenario ratio |")  # fmt: skip
    print("|---|---|---|---|---|")
    for target in targets:
        ratios = []
        for n in range(1, rounds + 1):
            wall, ran, _ = run(target, keyword=keyword)
            b_wall, b_ran, _ = run(target, base, keyword)
            per, b_per = wall / ran, b_wall / b_ran
            ratios.append(per / b_per)
            print(f"| {target} | {n} | {ran}, {wall:.1f} s, {per:.3f} s | "
                  f"{b_ran}, {b_wall:.1f} s, {b_per:.3f} s | {per / b_per:.2f}x |")  # fmt: skip
        print(f"| {target} | median of the per-round ratios | | | "
              f"**{statistics.median(ratios):.2f}x** |")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--targets", nargs="*", default=list(TARGETS[:3]))
    parser.add_argument("--baseline-tree", type=Path, help="a checkout of the commit to compare")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("-k", dest="keyword", default="", help='pytest -k, e.g. "not heavy"')
    args = parser.parse_args()
    if args.baseline_tree:
        against_baseline(args.targets, args.baseline_tree.resolve(), args.rounds, args.keyword)
        return 0
    baseline: float | None = None
    print("| target | scenarios (pytest's summary) | wall | per scenario | ratio vs the first |")
    print("|---|---|---|---|---|")
    for target in args.targets:
        wall, ran, summary = run(target, keyword=args.keyword)
        baseline = baseline or wall
        per = wall / ran if ran else float("nan")
        print(
            f"| {target} | {ran} ({summary}) | {wall:.1f} s | {per:.2f} s | {wall / baseline:.2f}x |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
