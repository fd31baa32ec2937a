"""The suite's verdicts on a zoo gateway against what a correct harness must say: a matrix."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
ZOO = ROOT / "examples" / "zoo"
VERDICTS = ("pass", "fail", "na")


def zoo_tool() -> ModuleType:
    """examples/zoo/zoo.py, the one place that keys scenarios like expected.csv does."""
    spec = importlib.util.spec_from_file_location("metasim_zoo", ZOO / "zoo.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class Matrix:
    """Expected verdict x harness verdict counts, and every cell off the diagonal, named."""

    gateway: str
    cells: Counter[tuple[str, str]] = field(default_factory=Counter)
    wrong: list[str] = field(default_factory=list)
    verdicts: dict[tuple[str, str, str], str] = field(default_factory=dict)

    @property
    def false_failures(self) -> int:
        """Scenarios a correct harness passes that this run failed."""
        return self.cells[("pass", "fail")]

    @property
    def false_passes(self) -> int:
        """Scenarios a correct harness fails that this run passed."""
        return self.cells[("fail", "pass")]

    def render(self) -> str:
        """A small table: rows are what a correct harness says, columns what this run said."""
        head = f"{self.gateway}: expected \\ harness   " + "".join(f"{v:>7}" for v in VERDICTS)
        lines = [head]
        for want in VERDICTS:
            row = "".join(f"{self.cells[(want, got)]:>7}" for got in VERDICTS)
            lines.append(f"{'':>{len(self.gateway) + 2}}{want:<20}" + row)
        lines.append(f"false failures {self.false_failures}, false passes {self.false_passes}")
        return "\n".join(lines + self.wrong)


def run_suite(
    gateway: str, report: Path, *, select: str = "", timeout: float = 1800
) -> subprocess.CompletedProcess[str]:
    """The suite (or the scenarios a marker expression selects) against
    ``examples/zoo/<gateway>``, its report in ``report``."""
    target = ZOO / gateway / "target.toml"
    chosen = ["-m", select] if select else []
    return subprocess.run(
        [sys.executable, "-m", "pytest", "features", "--target", str(target), "-q",
         "-p", "no:cacheprovider", "--metasim-report", str(report), "--timeout", "300", *chosen],
        cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip


def matrix(gateway: str, report: Path, *, partial: bool = False) -> Matrix:
    """Compare the run in ``report`` with ``examples/zoo/<gateway>/expected.csv`` (``partial``:
    the run selected some scenarios, so the others are not expected in it)."""
    tool = zoo_tool()
    got = tool.run_results(report)
    want = tool.expected(ZOO / gateway / "expected.csv")
    out = Matrix(gateway)
    for key in sorted(set(got) | set(want)):
        label = " ".join(k for k in key if k)
        if key not in want:
            out.wrong.append(f"  not in expected.csv: {label} (harness: {got[key]['outcome']})")
            continue
        if key not in got:
            if not partial:
                out.wrong.append(f"  not run: {label} (expected {want[key]['verdict']})")
            continue
        expected_verdict, verdict = want[key]["verdict"], got[key]["outcome"]
        out.cells[(expected_verdict, verdict)] += 1
        out.verdicts[key] = verdict
        if expected_verdict != verdict:
            bug = f" ({want[key]['bug']})" if want[key].get("bug") else ""
            reason = tool._last_line(got[key]["reason"])
            out.wrong.append(
                f"  {label}: expected {expected_verdict}{bug}, harness {verdict} | {reason}"
            )
    return out
