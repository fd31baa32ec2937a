"""Every step written in features/ has a definition in steps/ (CI fails on an undefined phrase)."""

from __future__ import annotations

from pathlib import Path

from metasim.steps import library


def test_every_feature_step_has_a_definition() -> None:
    missing = library.unmatched()
    listing = "\n".join(f"  {s.file}:{s.line}: {s.keyword} {s.text}" for s in missing)
    assert not missing, f"steps with no definition in steps/:\n{listing}"


def test_an_undefined_phrase_is_reported_with_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "extra.feature").write_text(
        "Feature: extra\n"
        "  Scenario: A phrase nobody defined\n"
        '    Given a "wa.text" sample\n'
        "    When the sample is teleported to the gateway\n",
        encoding="utf-8",
    )
    missing = library.unmatched(tmp_path)
    assert [(s.line, s.keyword, s.text) for s in missing] == [
        (4, "when", "the sample is teleported to the gateway")
    ]


def test_outline_placeholders_are_filled_before_matching(tmp_path: Path) -> None:
    (tmp_path / "outline.feature").write_text(
        "Feature: outline\n"
        "  Scenario Outline: A signature variant\n"
        '    Given a "wa.text" sample\n'
        "    When the sample is delivered with a <signature> signature\n"
        "    Examples:\n"
        "      | signature |\n"
        "      | missing   |\n"
        "      | tampered  |\n",
        encoding="utf-8",
    )
    assert library.unmatched(tmp_path) == []
    texts = [s.text for s in library.feature_steps(tmp_path)]
    assert "the sample is delivered with a tampered signature" in texts


def test_every_step_definition_has_a_one_line_docstring() -> None:
    undocumented = [f"{d.module}.{d.function}" for d in library.definitions() if not d.doc]
    assert not undocumented, f"step functions without a docstring: {undocumented}"


def test_every_step_definition_is_used_by_a_feature() -> None:
    unused = [d.pattern for d in library.definitions() if not library.examples_of(d)]
    assert not unused, f"phrases no feature uses (dead steps or a typo in a feature): {unused}"
