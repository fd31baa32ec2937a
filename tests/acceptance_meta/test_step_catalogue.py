"""The generated step catalogue lists every phrase with its allowed values and is up to date."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from metasim.steps import library

ROOT = Path(__file__).resolve().parents[2]


def test_catalogue_lists_every_phrase_with_vocabularies(tmp_path: Path) -> None:
    md, page = tmp_path / "steps.md", tmp_path / "steps.html"
    done = subprocess.run(
        [sys.executable, "scripts/gen_step_catalogue.py", "--md", str(md), "--html", str(page)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    text = md.read_text(encoding="utf-8")
    for d in library.definitions():
        assert d.pattern in text, f"{d.pattern!r} missing from the catalogue"
    assert '`{mode}`: "off", "warn", "enforce"' in text
    assert "<input id=q" in page.read_text(encoding="utf-8")


def test_committed_catalogue_is_current(tmp_path: Path) -> None:
    md = tmp_path / "steps.md"
    subprocess.run(
        [
            sys.executable,
            "scripts/gen_step_catalogue.py",
            "--md",
            str(md),
            "--html",
            str(tmp_path / "steps.html"),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )
    committed = (ROOT / "docs/step-catalogue.md").read_text(encoding="utf-8")
    assert md.read_text(encoding="utf-8") == committed, "run `make steps-catalogue` and commit"
