"""The harness is right on gateways we did not write: zero false failures, zero false passes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.accuracy.confusion import matrix, run_suite

# make test runs the correct gateway and one buggy one over the behaviour scenarios; make
# accuracy runs every zoo gateway twice over the whole suite (METASIM_ZOO_SELECT="").
GATEWAYS = os.environ.get("METASIM_ZOO", "node-correct py-echo-bot").split()
RUNS = int(os.environ.get("METASIM_ZOO_RUNS", "1"))
# The contract-coverage outlines (every catalogue event in every dialect, every Graph error
# code, the 1000-update batches) repeat one check over hundreds of samples: make accuracy runs
# them on every gateway; make test leaves them out to stay within its time.
COVERAGE_OUTLINES = "T2.21 or T2.23 or T2.24 or T2.25 or T2.26 or T13.05 or T13.06 or T13.07"
SELECT = os.environ.get("METASIM_ZOO_SELECT", f"not ({COVERAGE_OUTLINES})")


@pytest.mark.slow
@pytest.mark.parametrize("gateway", GATEWAYS)
def test_the_suite_gives_a_correct_harness_verdicts_on_a_zoo_gateway(
    gateway: str, tmp_path: Path
) -> None:
    runs = []
    for number in range(1, RUNS + 1):
        report = tmp_path / f"run{number}"
        done = run_suite(gateway, report, select=SELECT)
        assert (report / "results.json").exists(), done.stdout[-3000:] + done.stderr[-3000:]
        found = matrix(gateway, report, partial=bool(SELECT))
        print(f"\nrun {number} of {RUNS}\n{found.render()}")
        runs.append(found)
        assert not found.wrong, f"the harness disagrees with a correct one:\n{found.render()}"
    first = runs[0].verdicts
    for again in runs[1:]:
        changed = sorted(" ".join(k) for k in first if again.verdicts.get(k) != first[k])
        assert not changed, f"verdicts changed between two identical runs: {changed}"
