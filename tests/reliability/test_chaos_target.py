"""`metasim chaos --target`: a gateway started from its target file, SIGKILLed under load and
started again, with lost Graph answers: every ACKed message replied once or parked as ambiguous."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from metasim.simulator.cli.main import main
from tests.reliability.chaos_checks import LOST_ANSWERS

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
# the bundled gateway as a user's own would be declared: [start], webhooks, an admin API
TARGET = ROOT / "examples" / "targets" / "reference-external.toml"


def test_a_target_killed_under_load_loses_and_doubles_nothing(tmp_path: Path) -> None:
    out = tmp_path / "chaos.json"
    argv = ["chaos", "--target", str(TARGET), "--duration", "4", "--rate", "10",
            "--crashes", "1", "--lost-answer", str(LOST_ANSWERS), "--json", str(out)]  # fmt: skip
    assert main(argv) == 0
    [run] = json.loads(out.read_text(encoding="utf-8"))
    assert run["crashes"] == 1, "the gateway was killed and started again"
    assert run["acked"] == 40 and run["unacked"] == [], run
    acc = run["accounting"]
    assert acc["ok"] and acc["total"] == 40, acc
    assert acc["lost"] == 0 and acc["doubled"] == 0, acc
    # each answer the fake lost was parked with its reason, never sent twice
    assert set(acc["dead_letter_reasons"]) == {"ambiguous"}, acc
    assert acc["replied_once"] + acc["dead_lettered"] == 40, acc
