"""The CI templates: valid GitHub workflows (check-jsonschema, offline) that do what they promise."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
TEAM_TEMPLATE = ROOT / "examples" / "adopting" / "ci" / "metasim.yml"
CHECK = Path(sys.executable).with_name("check-jsonschema")


def lint(*paths: Path) -> subprocess.CompletedProcess[str]:
    # a dead proxy: the vendored schema must be enough, nothing may be fetched
    env = {**os.environ, "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"}
    return subprocess.run(
        [str(CHECK), "--builtin-schema", "vendor.github-workflows", *map(str, paths)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )


def load(name: str) -> dict[Any, Any]:
    doc: dict[Any, Any] = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    return doc


def steps(doc: dict[Any, Any], job: str) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = doc["jobs"][job]["steps"]
    return result


def test_workflows_pass_the_github_workflow_schema_offline() -> None:
    done = lint(WORKFLOWS / "acceptance.yml", WORKFLOWS / "scheduled-backup.yml", TEAM_TEMPLATE)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok -- validation done" in done.stdout


def test_the_linter_rejects_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "name: broken\non: push\njobs:\n  build:\n    steps:\n      - run: make test\n"
    )
    done = lint(broken)  # a job without runs-on
    assert done.returncode == 1
    assert "runs-on" in done.stdout


def test_acceptance_runs_make_acceptance_fails_on_failure_and_keeps_artifacts() -> None:
    doc = load("acceptance.yml")
    job = steps(doc, "acceptance")
    [run] = [s for s in job if "make acceptance" in s.get("run", "")]
    # the job fails when a scenario fails: no continue-on-error, no `|| true`
    assert "continue-on-error" not in run and "||" not in run["run"]
    assert doc[True]["workflow_dispatch"]["inputs"]["target"]["default"] == "reference"
    uploads = [s for s in job if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert all(s.get("if") == "always()" for s in uploads)  # kept when the job fails too
    kept = "\n".join(s["with"]["path"] for s in uploads)
    for path in ("reports/out/index.html", "reports/out/junit.xml", "reports/out/allure-results/"):
        assert path in kept, path


def test_scheduled_backup_runs_the_backup_with_seven_day_retention() -> None:
    doc = load("scheduled-backup.yml")
    [schedule] = doc[True]["schedule"]  # PyYAML reads the `on:` key as True
    assert len(schedule["cron"].split()) == 5
    job = steps(doc, "backup")
    [backup] = [s for s in job if "metasim-gateway backup" in s.get("run", "")]
    assert '--retention-days "$BACKUP_RETENTION_DAYS"' in backup["run"]
    assert doc["jobs"]["backup"]["env"]["BACKUP_RETENTION_DAYS"] == "7"
    [upload] = [s for s in job if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert upload["with"]["retention-days"] == 7


def test_the_teams_template_installs_a_release_and_runs_metasim_test_on_its_target() -> None:
    doc: dict[Any, Any] = yaml.safe_load(TEAM_TEMPLATE.read_text(encoding="utf-8"))
    job = steps(doc, "contract")
    runs = "\n".join(s.get("run", "") for s in job)
    # outside metasim's repository: no make target, no checkout of metasim, a pinned install
    assert "make " not in runs and "repository: " not in TEAM_TEMPLATE.read_text()
    assert 'pip" install' in runs and '-c "$METASIM_CONSTRAINTS"' in runs
    [test] = [s for s in job if "metasim test" in s.get("run", "")]
    assert "--target metasim/target.toml" in test["run"] and "--features" in test["run"]
    [keep] = [s for s in job if s.get("uses", "").startswith("actions/upload-artifact")]
    assert keep["if"] == "always()" and keep["with"]["path"] == "metasim-report/"
