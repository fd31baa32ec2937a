"""Wall time of the acceptance catalogue per target: in-process (the fast loop), real processes,
and a gateway that acknowledges everything and answers nothing (examples/zoo/silent: the reply
waits must end on its silence, within twice the reference's time)."""

from __future__ import annotations

import argparse
import re
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


def run(target: str) -> tuple[float, int, str]:
    """(wall seconds, scenarios run, pytest's summary line) for one full catalogue run."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "features", "--target", target, "-q",
         "-p", "no:cacheprovider", "--durations=3"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    wall = time.perf_counter() - started
    lines = [ln for ln in done.stdout.splitlines() if not ln.startswith("{")]
    summary = next((ln for ln in reversed(lines) if "passed" in ln or "failed" in ln), "?")
    counts = {kind: int(n) for n, kind in COUNTS.findall(summary)}
    ran = counts.get("passed", 0) + counts.get("failed", 0) + counts.get("skipped", 0)
    return wall, ran, summary.strip("= ")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--targets", nargs="*", default=list(TARGETS[:3]))
    args = parser.parse_args()
    baseline: float | None = None
    print("| target | scenarios (pytest's summary) | wall | per scenario | ratio vs the first |")
    print("|---|---|---|---|---|")
    for target in args.targets:
        wall, ran, summary = run(target)
        baseline = baseline or wall
        per = wall / ran if ran else float("nan")
        print(
            f"| {target} | {ran} ({summary}) | {wall:.1f} s | {per:.2f} s | {wall / baseline:.2f}x |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
