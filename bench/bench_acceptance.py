"""Wall time of the acceptance catalogue per target: in-process (the fast loop) vs real processes."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = ("reference-inprocess", "reference", "examples/targets/reference-external.toml")
SUMMARY = re.compile(r"(\d+) passed")


def run(target: str) -> tuple[float, int, str]:
    """(wall seconds, scenarios passed, pytest's summary line) for one full catalogue run."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "features", "--target", target, "-q",
         "-p", "no:cacheprovider", "--durations=3"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    wall = time.perf_counter() - started
    lines = [ln for ln in done.stdout.splitlines() if not ln.startswith("{")]
    summary = next((ln for ln in reversed(lines) if "passed" in ln or "failed" in ln), "?")
    match = SUMMARY.search(summary)
    return wall, int(match.group(1)) if match else 0, summary.strip("= ")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--targets", nargs="*", default=list(TARGETS[:2]))
    args = parser.parse_args()
    baseline: float | None = None
    print("| target | scenarios | wall | per scenario | ratio vs in-process |")
    print("|---|---|---|---|---|")
    for target in args.targets:
        wall, passed, summary = run(target)
        baseline = baseline or wall
        per = wall / passed if passed else float("nan")
        print(
            f"| {target} | {passed} ({summary}) | {wall:.1f} s | {per:.2f} s | {wall / baseline:.2f}x |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
