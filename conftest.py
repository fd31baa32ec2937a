"""Acceptance-suite root: loads the step library and the targets."""

from __future__ import annotations

import os
import re
import zlib
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from steps.library import STEP_MODULES

if TYPE_CHECKING:
    from steps.targets import Target, TargetConfig
    from steps.world import World

FEATURES = Path(__file__).resolve().parent / "features"
TAG = re.compile(r"@([^\s@#]+)")
TEST_ID = re.compile(r"^T\d+\.\d+$")
CAPABILITY_PREFIX = "needs-"
NOT_APPLICABLE = "not applicable: "

# The step library: one module per domain, loaded for every test session (pytest-bdd finds
# step definitions as fixtures of these plugins).
# steps.library.STEP_MODULES is the one list, so its phrase inventory covers what is loaded here.
pytest_plugins = list(STEP_MODULES)


def feature_tags(folder: Path = FEATURES) -> dict[str, str]:
    """Every tag used in the .feature files -> the first file:line using it."""
    found: dict[str, str] = {}
    for path in sorted(folder.rglob("*.feature")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            stripped = line.strip()
            if not stripped.startswith("@"):
                continue
            for tag in TAG.findall(stripped.split(" #", 1)[0]):
                found.setdefault(tag, f"{path.name}:{number}")
    return found


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("metasim acceptance")
    group.addoption(
        "--target",
        default=os.environ.get("METASIM_TARGET", "reference"),
        help="gateway under test: reference (real processes), reference-inprocess, or a .toml "
        "target file (see examples/targets/reference-external.toml)",
    )


def pytest_configure(config: pytest.Config) -> None:
    # Register every tag BEFORE collection so --strict-markers accepts @T2.01, @P0-01, @wa ...
    for tag, where in feature_tags().items():
        config.addinivalue_line("markers", f"{tag}: Gherkin tag (first used at {where})")
    config.addinivalue_line("markers", "not_applicable(reason): target lacks a capability")


def _target_config(config: pytest.Config) -> TargetConfig:
    from steps.targets import resolve

    cached = getattr(config, "_metasim_target_config", None)
    if cached is None:
        cached = resolve(config.getoption("--target"))
        config._metasim_target_config = cached  # type: ignore[attr-defined]  # a per-run cache
    return cached


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A scenario tagged @needs-<capability> the target lacks is not applicable: skipped with a
    # reason reports recognise, plus a marker and a user property (never passed, never failed).
    scenario_items = [i for i in items if FEATURES in Path(str(i.fspath)).parents]
    if not scenario_items:
        return
    target = _target_config(config)
    for item in scenario_items:
        # the backlog test ids as a user property: JUnit XML carries it to QA's tracker
        ids = sorted({m.name for m in item.iter_markers() if TEST_ID.match(m.name)})
        item.user_properties.append(("test_ids", ",".join(ids)))
        for mark in item.iter_markers():
            if not mark.name.startswith(CAPABILITY_PREFIX):
                continue
            capability = mark.name.removeprefix(CAPABILITY_PREFIX)
            if capability not in target.capabilities:
                reason = f"{NOT_APPLICABLE}{target.name} has no {capability}"
                item.add_marker(pytest.mark.not_applicable(reason))
                item.add_marker(pytest.mark.skip(reason=reason))
                item.user_properties.append(("not_applicable", reason))
                break


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    outcome = yield
    report = outcome.get_result()
    if report.skipped and isinstance(report.longrepr, tuple):
        reason = str(report.longrepr[2])
        if NOT_APPLICABLE in reason and ("not_applicable", reason) not in report.user_properties:
            report.user_properties.append(("not_applicable", reason.split("Skipped: ")[-1]))


# Phrases that set the gateway's settings themselves: a scenario using one does not need the
# baseline restored first (that would cost a restart per Examples row of the same mode).
CONFIGURING = ("the gateway runs with", "the gateway is started with")


def pytest_bdd_before_scenario(request: pytest.FixtureRequest, feature: Any, scenario: Any) -> None:
    request.node.metasim_configures = any(
        step.name.startswith(CONFIGURING) for step in scenario.steps
    )


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest) -> Iterator[Target]:
    """The gateway under test, started once per session and stopped at the end."""
    from steps.loop import LoopThread
    from steps.targets import build

    loop = LoopThread()
    tgt = build(_target_config(request.config), loop)
    try:
        tgt.start()
        yield tgt
    finally:
        tgt.close()
        loop.close()


@pytest.fixture
def world(request: pytest.FixtureRequest, target: Target) -> World:
    """Fresh per-scenario state; the gateway back on its baseline settings, marks taken."""
    from simulator.context import BuildContext
    from steps.world import World

    if not getattr(request.node, "metasim_configures", False):
        target.configure({})
    target.graph.mark()
    if "logs" in target.capabilities:
        target.mark_logs()
        from reports import evidence

        # on failure the report shows the gateway's log lines of this scenario
        evidence.on_failure(lambda: target.raw_log_text().splitlines())
    # seeded per scenario: reproducible payloads, ids never shared between two scenarios
    seed = zlib.crc32(request.node.nodeid.encode("utf-8"))
    return World(target=target, ctx=BuildContext.seeded(seed))
