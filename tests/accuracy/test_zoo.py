"""The harness is right on gateways we did not write: zero false failures, zero false passes."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest

from tests.accuracy.confusion import ZOO, matrix, run_suite, zoo_tool

# make test runs the correct gateway over the behaviour scenarios and one buggy one over the
# scenarios its bugs must fail; make accuracy runs every zoo gateway twice over the whole suite
# (METASIM_ZOO_SELECT="").
GATEWAYS = os.environ.get("METASIM_ZOO", "node-correct py-echo-bot").split()
RUNS = int(os.environ.get("METASIM_ZOO_RUNS", "1"))
# The contract-coverage outlines (every catalogue event in every dialect, every Graph error
# code, the 1000-update batches) repeat one check over hundreds of samples: make accuracy runs
# them on every gateway; make test leaves them out to stay within its time.
COVERAGE_OUTLINES = "T2.21 or T2.23 or T2.24 or T2.25 or T2.26 or T13.05 or T13.06 or T13.07"
BEHAVIOUR = f"not ({COVERAGE_OUTLINES})"


def selection(gateway: str) -> str:
    """The marker expression of ``gateway``'s run: METASIM_ZOO_SELECT when set ("" = all).

    By default (make test): a gateway a correct harness passes everywhere (node-correct, the
    end-to-end control: zero false failures) runs every behaviour scenario; a buggy one runs,
    for each of its bugs (expected.csv's ``bug`` column, e.g. PY-1), the behaviour test id with
    the fewest scenarios where a correct harness must fail it: zero false passes, bug by bug,
    at a fraction of the time (a failing scenario waits out its reply window).
    """
    chosen = os.environ.get("METASIM_ZOO_SELECT")
    if chosen is not None:
        return chosen
    rows = list(zoo_tool().expected(ZOO / gateway / "expected.csv").values())
    outlines = set(COVERAGE_OUTLINES.split(" or "))
    size = Counter(row["id"] for row in rows)
    per_bug: dict[str, set[str]] = {}
    for row in rows:
        if row["verdict"] == "fail" and row["id"] not in outlines:
            per_bug.setdefault(row["bug"].split()[0], set()).add(row["id"])
    ids = sorted({min(found, key=lambda i: (size[i], i)) for found in per_bug.values()})
    return f"({' or '.join(ids)}) and {BEHAVIOUR}" if ids else BEHAVIOUR


def halves(gateway: str) -> list[tuple[str, str]]:
    """``(gateway, extra marker expression)`` items: the correct gateway's long default run
    (about 200 scenarios, mostly waiting on reply windows) as two items, T2 and the rest,
    that xdist runs side by side; any other gateway, or an explicit selection, as one."""
    if os.environ.get("METASIM_ZOO_SELECT") is not None or gateway != "node-correct":
        return [(gateway, "")]
    ids = sorted(
        {row["id"] for row in zoo_tool().expected(ZOO / gateway / "expected.csv").values()}
    )
    t2 = " or ".join(i for i in ids if i.startswith("T2."))
    return [(gateway, f"({t2})"), (gateway, f"not ({t2})")]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("gateway", "half"),
    [
        pytest.param(
            gateway, half, id=gateway + ("" if not half else "-T2" if half[0] == "(" else "-T3-T14")
        )
        for gateway in GATEWAYS
        for gateway, half in halves(gateway)
    ],
)
def test_the_suite_gives_a_correct_harness_verdicts_on_a_zoo_gateway(
    gateway: str, half: str, tmp_path: Path
) -> None:
    select = selection(gateway)
    if half:
        select = f"{half} and ({select})"
    runs = []
    for number in range(1, RUNS + 1):
        report = tmp_path / f"run{number}"
        done = run_suite(gateway, report, select=select)
        assert (report / "results.json").exists(), done.stdout[-3000:] + done.stderr[-3000:]
        found = matrix(gateway, report, partial=bool(select))
        print(f"\nrun {number} of {RUNS}\n{found.render()}")
        runs.append(found)
        assert sum(found.cells.values()), f"no scenario of {select!r} ran on {gateway}"
        assert not found.wrong, f"the harness disagrees with a correct one:\n{found.render()}"
    first = runs[0].verdicts
    for again in runs[1:]:
        changed = sorted(" ".join(k) for k in first if again.verdicts.get(k) != first[k])
        assert not changed, f"verdicts changed between two identical runs: {changed}"
