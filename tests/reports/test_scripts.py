"""The helper scripts: idempotent browser install, clear messages when a tool is missing."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from metasim.reports.browser import ROOT, ensure_chromium


def bare_path(tmp_path: Path, *tools: str) -> str:
    """A PATH holding only ``tools`` (symlinked), to play a machine that lacks the others."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in tools:
        found = shutil.which(tool)
        assert found, tool
        (bin_dir / tool).symlink_to(found)
    return str(bin_dir)


def run(script: str, path: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **env}
    if path is not None:
        full["PATH"] = path
    return subprocess.run(
        [str(ROOT / "scripts" / script)], capture_output=True, text=True, env=full, check=False
    )


def test_install_browser_is_idempotent() -> None:
    chromium = ensure_chromium()
    done = run("install_browser.sh")
    assert done.returncode == 0
    assert done.stdout.strip() == f"chromium present: {chromium}"


def test_install_browser_without_apt_says_what_to_do(tmp_path: Path) -> None:
    path = bare_path(tmp_path, "bash", "id", "dirname")
    done = run("install_browser.sh", path, METASIM_CHROMIUM=str(tmp_path / "no-chromium"))
    assert done.returncode == 2
    assert "apt-get is not available" in done.stderr
    assert "METASIM_CHROMIUM" in done.stderr


def test_allure_report_without_node_says_what_to_do(tmp_path: Path) -> None:
    path = bare_path(tmp_path, "bash", "dirname")
    done = run("allure_report.sh", path)
    assert done.returncode == 2
    assert "needs Node.js and npm" in done.stderr
    assert "reports/out/index.html) does not need them" in done.stderr


def test_allure_report_without_results_points_to_make_acceptance(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(ROOT / "scripts" / "allure_report.sh"), str(tmp_path / "allure-results")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "no Allure results in" in done.stderr and "run make acceptance first" in done.stderr
