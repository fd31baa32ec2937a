"""The generated step catalogue lists every phrase with its allowed values and is up to date."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from metasim.steps import library

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """scripts/gen_step_catalogue.py run once: (the Markdown, the HTML page) it wrote."""
    out = tmp_path_factory.mktemp("steps")
    md, page = out / "steps.md", out / "steps.html"
    done = subprocess.run(
        [sys.executable, "scripts/gen_step_catalogue.py", "--md", str(md), "--html", str(page)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return md, page


def test_catalogue_lists_every_phrase_with_vocabularies(generated: tuple[Path, Path]) -> None:
    md, page = generated
    text = md.read_text(encoding="utf-8")
    for d in library.definitions():
        assert d.pattern in text, f"{d.pattern!r} missing from the catalogue"
    assert '`{mode}`: "off", "warn", "enforce"' in text
    assert "<input id=q" in page.read_text(encoding="utf-8")


def test_committed_catalogue_is_current(generated: tuple[Path, Path]) -> None:
    md, _ = generated
    committed = (ROOT / "docs/step-catalogue.md").read_text(encoding="utf-8")
    assert md.read_text(encoding="utf-8") == committed, "run `make steps-catalogue` and commit"
