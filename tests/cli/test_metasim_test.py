"""`metasim test`: the suite plus a team's own .feature files against a gateway, with a report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SILENT = ROOT / "examples" / "zoo" / "silent" / "target.toml"
FEATURE = """Feature: Our own checks
  A team's scenario, written without Python, on the shipped step library.

  @TEAM.01 @wa
  Scenario: A WhatsApp text is acknowledged by our gateway
    Given a "wa.text" sample
    When the sample is delivered
    Then the gateway acknowledges with 200
"""


def metasim(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "metasim.simulator.cli.main", *args],
        cwd=cwd, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def test_a_teams_feature_folder_runs_beside_the_suite_and_writes_the_report(tmp_path: Path) -> None:
    features = tmp_path / "our-features"
    features.mkdir()
    (features / "greeting.feature").write_text(FEATURE, encoding="utf-8")
    report = tmp_path / "report"
    done = metasim(
        "test", "--target", str(SILENT), "--features", str(features), "--report", str(report),
        "--", "-m", "TEAM.01 or T6.03", "-q", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    results = json.loads((report / "results.json").read_text(encoding="utf-8"))
    names = {s["name"]: s["outcome"] for s in results["scenarios"]}
    assert names["A WhatsApp text is acknowledged by our gateway"] == "passed"
    assert (report / "index.html").exists() and (report / "junit.xml").exists()


def test_bad_arguments_are_named_without_a_traceback(tmp_path: Path) -> None:
    missing = metasim("test", "--target", str(tmp_path / "none.toml"), cwd=tmp_path)
    assert missing.returncode == 1 and "no such file" in missing.stderr
    assert "Traceback" not in missing.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    bad = metasim("test", "--target", str(SILENT), "--features", str(empty), cwd=tmp_path)
    assert bad.returncode == 1 and "not a folder holding .feature files" in bad.stderr
