"""Scheduling of `pytest tests` across pytest-xdist workers (make test runs it with -n).

Nothing here selects, skips or changes a test: it only orders the collected items and names the
ones that must not run beside each other. Without xdist both hooks are inert but for the order.
"""

from __future__ import annotations

import pytest

# Tests whose assertions include a rate or a deadline on a real process under load (Locust runs,
# chaos kills, the security rig's liveness probe, the reply-loop diagnosis that needs the read
# receipt back within the scenario's window): they run one after another on one worker
# (--dist loadgroup), so they never compete with each other for the two cores.
TIMING = "timing"
TIMING_TESTS = (  # node id prefixes: a module, or one test
    "tests/reliability/test_load_run.py::",
    "tests/reliability/test_load_distributed.py::",
    "tests/reliability/test_load_baseline.py::",
    "tests/reliability/test_chaos_sigkill.py::",
    "tests/reliability/test_chaos_redis.py::",
    "tests/reliability/test_security_probes.py::",
    "tests/reliability/test_fuzz_process.py::",
    "tests/mutants/test_mutants.py::test_a_gateway_answering_receipts_is_named_a_reply_loop",
)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Longest first: tests marked ``slow`` (whole suites in subprocesses, real gateways) lead.

    xdist hands items out in collection order, so a two-minute zoo run that came last would
    run alone at the end; started first, it overlaps the thousands of short items instead.
    The sort is stable: within each half the usual file order is kept.
    """
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
    if not config.pluginmanager.hasplugin("xdist"):
        return  # the marker is xdist's: unregistered (and pointless) without it
    for item in items:
        if item.nodeid.startswith(TIMING_TESTS):
            item.add_marker(pytest.mark.xdist_group(TIMING))
