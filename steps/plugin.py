"""The acceptance suite as a pytest plugin: the step library, the target, traffic, verdicts.

The repository's root conftest.py loads it; ``metasim test`` passes it with ``-p`` so a team's
own .feature folders run on the same step library, outside this repository.
"""

from __future__ import annotations

import os
import re
import secrets
import time
import zlib
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from metasim.steps.library import STEP_MODULES

if TYPE_CHECKING:
    from metasim.steps.targets import Target, TargetConfig
    from metasim.steps.world import World

FEATURES = Path(__file__).resolve().parents[1] / "features"
TAG = re.compile(r"@([^\s@#]+)")
TEST_ID = re.compile(r"^T\d+\.\d+$")
CAPABILITY_PREFIX = "needs-"
CHANNEL_TAGS = frozenset({"wa", "ig", "msg"})
NOT_APPLICABLE = "not applicable: "

# The step library: one module per domain, loaded for every test session (pytest-bdd finds
# step definitions as fixtures of these plugins).
# steps.library.STEP_MODULES is the one list, so its phrase inventory covers what is loaded here.
# The report writer (reports.plugin) comes with the suite, not as an entry point: an installed
# metasim must not load itself into every pytest run of the environment.
pytest_plugins = [*STEP_MODULES, "metasim.reports.plugin"]


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
        "--metasim-features",
        action="append",
        default=[],
        metavar="DIR",
        help="another folder of .feature files whose tags to register (metasim test sets it)",
    )
    group.addoption(
        "--metasim-drain",
        default=None,
        type=float,
        metavar="SECONDS",
        help="after the last scenario, watch this long for late traffic (retries, second "
        "replies, reply loops) before the audit (default: the target's drain_seconds, 2 s)",
    )
    group.addoption(
        "--metasim-seed",
        default=None,
        type=int,
        metavar="N",
        help="the run's seed: with the scenario's name it picks every id, name and number the "
        "scenario sends (default: a new one each run, printed in the header and results.json; "
        "give it back to replay a run)",
    )
    group.addoption(
        "--target",
        default=os.environ.get("METASIM_TARGET", "reference"),
        help="gateway under test: reference (real processes), reference-inprocess, or a .toml "
        "target file (see examples/targets/reference-external.toml)",
    )


def pytest_configure(config: pytest.Config) -> None:
    # A new seed per run: a gateway that keeps its state between runs (started outside the
    # harness, dedupe marks kept for days) would take a rerun's messages for redeliveries of
    # the last run's. xdist workers get the controller's seed (pytest_configure_node).
    seed = config.getoption("--metasim-seed", None)
    if seed is None:
        seed = getattr(config, "workerinput", {}).get("metasim_seed")
    config._metasim_seed = secrets.randbits(32) if seed is None else seed  # type: ignore[attr-defined]
    # Register every tag BEFORE collection so --strict-markers accepts @T2.01, @P0-01, @wa ...
    tags: dict[str, str] = {}
    for folder in [FEATURES, *map(Path, config.getoption("--metasim-features") or [])]:
        for tag, where in feature_tags(folder).items():
            tags.setdefault(tag, where)
    for tag, where in tags.items():
        config.addinivalue_line("markers", f"{tag}: Gherkin tag (first used at {where})")
    config.addinivalue_line("markers", "not_applicable(reason): target lacks a capability")


def run_seed(config: pytest.Config) -> int:
    """This run's seed (``--metasim-seed``, or drawn at configure time)."""
    return int(config._metasim_seed)  # type: ignore[attr-defined]  # set in pytest_configure


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist: every worker builds its scenarios from the controller's seed."""
    node.workerinput["metasim_seed"] = run_seed(node.config)


def pytest_report_header(config: pytest.Config) -> str:
    return (
        f"metasim seed: {run_seed(config)} (replay this run with --metasim-seed {run_seed(config)})"
    )


def _target_config(config: pytest.Config) -> TargetConfig:
    from metasim.steps.targets import TargetFileError, resolve

    cached = getattr(config, "_metasim_target_config", None)
    if cached is None:
        try:
            cached = resolve(config.getoption("--target"))
        except TargetFileError as exc:  # the problems, not a 60-line INTERNALERROR traceback
            raise pytest.UsageError(str(exc)) from None
        config._metasim_target_config = cached  # type: ignore[attr-defined]  # a per-run cache
    return cached


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A scenario tagged @needs-<capability> the target lacks is not applicable: skipped with a
    # reason reports recognise, plus a marker and a user property (never passed, never failed).
    from metasim.reports.collect import scenario_template

    scenario_items = [i for i in items if scenario_template(i) is not None]
    if not scenario_items:
        return
    # the baseline first, then the scenarios grouped by the settings they need: a real engine
    # restarts once per group instead of once per change (a stable sort keeps feature order)
    others = [i for i in items if scenario_template(i) is None]
    keys = {i.nodeid: settings_key(i) for i in scenario_items}
    # @heavy scenarios (a 1000-update batch: thousands of sends and status webhooks) run last,
    # so the backlog they leave never delays another scenario's replies
    scenario_items.sort(
        key=lambda i: (
            i.get_closest_marker("heavy") is not None,
            keys[i.nodeid] != "",
            keys[i.nodeid],
        )
    )
    items[:] = others + scenario_items
    target = _target_config(config)
    channels = set(target.channels)
    for item in scenario_items:
        # the backlog test ids as a user property: JUnit XML carries it to QA's tracker
        ids = sorted({m.name for m in item.iter_markers() if TEST_ID.match(m.name)})
        item.user_properties.append(("test_ids", ",".join(ids)))
        # an Examples row or scenario tagged with a channel the target does not serve
        unserved = sorted({m.name for m in item.iter_markers()} & (CHANNEL_TAGS - channels))
        if unserved:
            reason = f"{NOT_APPLICABLE}{target.name} serves no {unserved[0]} webhook"
            item.add_marker(pytest.mark.not_applicable(reason))
            item.add_marker(pytest.mark.skip(reason=reason))
            item.user_properties.append(("not_applicable", reason))
            continue
        level = next((lv for lv in ("reference", "meta") if item.get_closest_marker(lv)), "backlog")
        if level not in target.levels:
            # outside the levels this target chose: a check that does not hold is advice
            reason = f"advice: the {level} level's check ({target.name} is judged on "
            reason += f"{', '.join(target.levels)})"
            why = next((target.advice[i] for i in ids if i in target.advice), None)
            if why:
                reason += f": {why}"
            item.add_marker(pytest.mark.xfail(reason=reason, strict=False))
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
CONFIGURING = ("the gateway runs with", "the gateway is started with", "the gateway runs without")


def settings_key(item: pytest.Item) -> str:
    """What a scenario sets the gateway to ("" for the baseline): its configuring steps' text."""
    from metasim.reports.collect import scenario_template

    template = scenario_template(item)
    if template is None:
        return ""
    callspec = getattr(item, "callspec", None)
    row = callspec.params.get("_pytest_bdd_example", {}) if callspec else {}
    parts = []
    for step in template.render(row).steps:
        if step.name.startswith(CONFIGURING):
            table = step.datatable.raw() if step.datatable is not None else []
            parts.append(f"{step.name} {table}")
    return " | ".join(parts)


def pytest_bdd_before_scenario(request: pytest.FixtureRequest, feature: Any, scenario: Any) -> None:
    request.node.metasim_configures = any(
        step.name.startswith(CONFIGURING) for step in scenario.steps
    )
    # the rendered title and Examples row: a late verdict finds the scenario's Allure result
    callspec = getattr(request.node, "callspec", None)
    row = callspec.params.get("_pytest_bdd_example", {}) if callspec else {}
    titles = request.config.__dict__.setdefault("_metasim_titles", {})
    titles[request.node.nodeid] = (scenario.name, {str(k): str(v) for k, v in row.items()})


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest) -> Iterator[Target]:
    """The gateway under test, started once per session and stopped at the end."""
    from metasim.steps.loop import LoopThread
    from metasim.steps.targets import build

    loop = LoopThread()
    from metasim.reports import evidence

    tgt = build(_target_config(request.config), loop)
    evidence.set_run_info(seed=str(run_seed(request.config)))
    try:
        tgt.start()
        yield tgt
        _audit(request.config, tgt)
    finally:
        report = request.config.getoption("metasim_report", None)
        tgt.close(keep_output_in=Path(report) if report else None)
        loop.close()


def _audit(config: pytest.Config, tgt: Target) -> None:
    """The bounded drain, then the late-traffic audit: checks broken after they passed fail."""
    from metasim.reports import verdicts
    from metasim.steps.traffic import describe_sighting

    ledger = tgt.graph.ledger
    drain = config.getoption("--metasim-drain")
    seconds = tgt.config.drain_seconds if drain is None else float(drain)
    ended = max((s.ended or s.began for s in ledger.scenarios), default=time.monotonic())
    time.sleep(max(0.0, ended + seconds - time.monotonic()))
    titles = getattr(config, "_metasim_titles", {})
    for finding in ledger.audit():
        name, example = titles.get(finding.nodeid, (finding.title, {}))
        verdicts.amend(finding.nodeid, finding.message, name=name, example=example)
    verdicts.note_traffic(
        stray=[
            {**describe_sighting(s), "seq": s.call.seq, "method": s.call.method}
            for s in ledger.stray
        ],
        loops=[
            {"scenario": owner.title if owner else "(no scenario)", "chain": loop.describe()}
            for owner, loop in ledger.loops
        ],
        callbacks=tgt.callback_settings(),
    )
    config._metasim_late = verdicts.amended()  # type: ignore[attr-defined]  # summary and exit


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    # a scenario failed by late traffic fails the run, whatever pytest counted during it
    late = getattr(session.config, "_metasim_late", None)
    if not late:
        return
    if session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    # and the closing line counts it failed ("170 passed, 3 failed"), as CI tools read it
    terminal = session.config.pluginmanager.get_plugin("terminalreporter")
    if terminal is None:
        return
    for report in list(terminal.stats.get("passed", [])):
        found = late.get(report.nodeid)
        if found is not None and report.when == "call":
            terminal.stats["passed"].remove(report)
            report.outcome = "failed"
            report.longrepr = found.text
            terminal.stats.setdefault("failed", []).append(report)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    late = getattr(config, "_metasim_late", None)
    if not late:
        return
    terminalreporter.write_sep(
        "=", f"late traffic: {len(late)} scenario(s) failed after they ended"
    )
    for nodeid, found in late.items():
        terminalreporter.write_line(f"FAILED (late) {nodeid}")
        for message in found.messages:
            terminalreporter.write_line(f"    {message}")


@pytest.fixture
def world(request: pytest.FixtureRequest, target: Target) -> World:
    """Fresh per-scenario state; the gateway back on its baseline settings, marks taken."""
    from metasim.reports import evidence
    from metasim.simulator.context import BuildContext
    from metasim.steps.world import World

    if not getattr(request.node, "metasim_configures", False):
        target.configure({})
    target.graph.mark()
    target.mark_output()
    if "logs" in target.capabilities:
        target.mark_logs()
        # on failure the report shows the gateway's log lines of this scenario
        evidence.on_failure(lambda: target.raw_log_text().splitlines())
    # seeded per scenario and per run: ids never shared between two scenarios nor two runs,
    # and one run replayed exactly with its --metasim-seed
    seed = zlib.crc32(request.node.nodeid.encode("utf-8")) ^ run_seed(request.config)
    titles = request.config.__dict__.get("_metasim_titles", {})
    title = titles.get(request.node.nodeid, (request.node.name, {}))[0]
    traffic = target.graph.ledger.begin(request.node.nodeid, title)
    world = World(target=target, ctx=BuildContext.seeded(seed), traffic=traffic)
    # on failure: the gateway's own output of this scenario's time, and its traffic
    evidence.on_failure(target.output_since_mark)
    evidence.on_failure(lambda: _traffic_evidence(world))
    request.addfinalizer(lambda: _end(world))
    return world


def _end(world: World) -> None:
    """The scenario is over: its faults go, its users stay watched (the late audit)."""
    graph = world.target.graph
    graph.recover(world.owned.fault_ids)
    graph.ledger.end(world.owned)


def _traffic_evidence(world: World) -> list[str]:
    """The scenario's Graph sends and the status webhooks about them, with the answers."""
    from metasim.reports import evidence

    ledger = world.target.graph.ledger
    evidence.record_graph_calls(c.to_dict() for c in ledger.sends(world.owned))
    return [
        f"[metasim] {'/'.join(w.kinds)} webhook for {w.message_id} to user {w.user}: "
        f"the gateway answered {w.record.final_status}"
        for w in ledger.callbacks(world.owned)
    ]
