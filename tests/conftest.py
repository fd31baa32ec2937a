"""Scheduling of `pytest tests` for make test: xdist workers first, then the timing tests alone.

Nothing here skips or changes a test. It orders the collected items, names the ones whose
assertions depend on having the machine to themselves, and, only when METASIM_TESTS_PART is set
(scripts/run_tests.sh sets it), keeps one of the two parts: ``shared`` (everything else, run on
xdist workers) or ``alone`` (the timing tests, run serially afterwards). The two parts together
are exactly the items of a plain ``pytest tests``.
"""

from __future__ import annotations

import os

import pytest

# Tests whose assertions include a rate or a deadline on real processes (messages per second
# in the Locust runs, the security rig's 10 s liveness probe, the reply-loop diagnosis that
# needs the read receipt back within the scenario's window). Beside busy xdist workers they fail
# for want of CPU, not for a bug, so make test runs them one at a time once the rest is done, as
# a serial run would. The chaos and fuzz-process tests count (events, kills, RSS), they do not
# time: they passed beside the workers, and stay there.
# Under a plain `pytest -n N --dist loadgroup` these share one xdist group (one worker, in turn).
TIMING = "timing"
TIMING_TESTS = (  # node id prefixes: a module, or one test
    "tests/reliability/test_load_run.py::",
    "tests/reliability/test_load_distributed.py::",
    "tests/reliability/test_load_baseline.py::",
    # a 200 held 0.5 s must land between Meta's 0.2 s timeout and the 1.2 s wait for it
    "tests/reliability/test_load_target.py::test_a_gateway_answering_after_metas_timeout_is_late_and_redelivered",
    "tests/reliability/test_security_probes.py::test_no_secret_in_logs_metrics_or_error_bodies",
    "tests/mutants/test_mutants.py::test_a_gateway_answering_receipts_is_named_a_reply_loop",
    # tracemalloc counts every thread of the process: an xdist neighbour's server thread
    # allocating meanwhile reads as this test's growth (it failed beside the workers only)
    "tests/reliability/test_fuzz_inprocess.py::test_hostile_requests_never_5xx_and_memory",
)
PARTS = ("shared", "alone")


def timing_files() -> list[str]:
    """The test files holding the timing tests (what scripts/run_tests.sh collects for them)."""
    return sorted({prefix.split("::")[0] for prefix in TIMING_TESTS})


def is_timing(item: pytest.Item) -> bool:
    """Whether ``item`` asserts rates or deadlines that other busy processes would break."""
    return item.nodeid.startswith(TIMING_TESTS)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Longest first: tests marked ``slow`` (whole suites in subprocesses, real gateways) lead.

    xdist hands items out in collection order, so a two-minute zoo run that came last would
    run alone at the end; started first, it overlaps the thousands of short items instead.
    The sort is stable: within each half the usual file order is kept.
    """
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
    part = os.environ.get("METASIM_TESTS_PART", "")
    if part:
        if part not in PARTS:
            raise pytest.UsageError(f"METASIM_TESTS_PART={part!r}: use one of {', '.join(PARTS)}")
        keep = [item for item in items if is_timing(item) == (part == "alone")]
        dropped = [item for item in items if is_timing(item) != (part == "alone")]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = keep
    if not config.pluginmanager.hasplugin("xdist"):
        return  # the marker is xdist's: unregistered (and pointless) without it
    for item in items:
        if is_timing(item):
            item.add_marker(pytest.mark.xdist_group(TIMING))
    if getattr(config.option, "loadgroup", False):  # an xdist worker of a loadgroup run
        group_node_ids(items)


def group_node_ids(items: list[pytest.Item]) -> None:
    """Make ``--dist loadgroup`` group again: the ``@group`` suffix on each grouped node id.

    pytest-xdist 3.8 marks a grouped item by assigning ``item._nodeid``, which pytest 9 no
    longer reads (a node id lives in ``item._id``): every xdist_group was silently ignored, so
    the wheel tests built and installed the wheel on two workers at once, and the timing tests
    shared workers under a plain ``pytest -n``. The same suffix, set where pytest 9 reads it.
    """
    from _pytest.nodeid import coerce_node_id

    for item in items:
        names = sorted(
            {str(m.args[0] if m.args else m.kwargs.get("name", "default"))
             for m in item.iter_markers("xdist_group")}
        )  # fmt: skip
        suffix = "@" + "_".join(names)
        if names and not item.nodeid.endswith(suffix):
            item._id = coerce_node_id(item.nodeid + suffix)
