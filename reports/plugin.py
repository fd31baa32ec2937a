"""pytest plugin: `--metasim-report DIR` records every pytest-bdd scenario and writes the HTML report."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Generator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from metasim.reports import evidence, verdicts
from metasim.reports.collect import PendingScenario, scenario_template
from metasim.reports.model import FAILED, PASSED, Results, RunInfo, ScenarioResult, StepResult
from metasim.reports.runinfo import versions

RESULTS = "results.json"
PREVIOUS = "previous-results.json"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("metasim-report", "metasim coverage report")
    group.addoption(
        "--metasim-report",
        dest="metasim_report",
        metavar="DIR",
        default=None,
        help="record every scenario and write DIR/index.html, results.json, junit.xml, "
        "cucumber.json and allure-results/ (the previous results.json is kept for the diff)",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    out = config.getoption("metasim_report", None)
    if not out or hasattr(config, "workerinput"):
        return  # off unless asked; under xdist only the controller writes
    out_dir = Path(out).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    # tryfirst: these options are read by junitxml, pytest-bdd and allure-pytest-bdd in their own
    # pytest_configure, which run after this one. Paths given on the command line win.
    opt = config.option
    if getattr(opt, "xmlpath", None) is None:
        opt.xmlpath = str(out_dir / "junit.xml")
    if getattr(opt, "cucumber_json_path", None) is None and hasattr(opt, "cucumber_json_path"):
        opt.cucumber_json_path = str(out_dir / "cucumber.json")
    if hasattr(opt, "allure_report_dir") and opt.allure_report_dir is None:
        opt.allure_report_dir = str(out_dir / "allure-results")
        opt.clean_alluredir = True  # one run's results, not an accumulation of every run
    config.pluginmanager.register(Recorder(config, out_dir), "metasim-report-recorder")


class Recorder:
    """Collects scenario results during the session and writes them at its end."""

    def __init__(self, config: pytest.Config, out_dir: Path) -> None:
        self.config = config
        self.out_dir = out_dir
        self.started = time.time()
        self.scenarios: list[ScenarioResult] = []
        self.pending: PendingScenario | None = None
        self.index: Path | None = None
        evidence.reset_run_info()
        verdicts.reset()

    # -- one scenario ------------------------------------------------------------------------

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, None, None]:
        template = scenario_template(item)
        if template is None:  # a plain test, not a scenario: not part of the report
            yield
            return
        self.pending = PendingScenario(item, template, evidence.begin())
        try:
            yield
        finally:
            pending, self.pending = self.pending, None
            evidence.end()
            self.scenarios.append(pending.result())

    def _step(self, request: pytest.FixtureRequest) -> PendingScenario | None:
        pending = self.pending
        return pending if pending is not None and pending.item is request.node else None

    def pytest_bdd_before_step(self, request: pytest.FixtureRequest, step: Any) -> None:
        pending = self._step(request)
        if pending is not None:
            pending.steps.append(StepResult(step.keyword, step.name, step.line_number, "running"))
            pending.step_started = time.perf_counter()

    def pytest_bdd_after_step(self, request: pytest.FixtureRequest) -> None:
        pending = self._step(request)
        if pending is not None and pending.steps:
            pending.finish_step("passed")

    def pytest_bdd_step_error(self, request: pytest.FixtureRequest, exception: Exception) -> None:
        pending = self._step(request)
        if pending is not None and pending.steps:
            pending.finish_step("failed", f"{type(exception).__name__}: {exception}")

    def pytest_bdd_step_func_lookup_error(
        self, request: pytest.FixtureRequest, step: Any, exception: Exception
    ) -> None:
        pending = self._step(request)
        if pending is not None:
            pending.steps.append(
                StepResult(step.keyword, step.name, step.line_number, "failed", 0.0, str(exception))
            )

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, Any, None]:
        outcome = yield
        report: pytest.TestReport = outcome.get_result()
        pending = self.pending
        if pending is None or pending.item is not item:
            return
        pending.reports[report.when] = report
        if report.when == "call" and report.failed:
            # now, before teardown stops the gateway: its logs are still there to read
            for hook in list(pending.evidence.failure_hooks):
                try:
                    evidence.record_logs(hook())
                except Exception as exc:  # a broken log source must not hide the real failure
                    evidence.record_logs([f"[metasim report] log hook failed: {exc!r}"])

    # -- the run -----------------------------------------------------------------------------

    def results(self, exit_status: int) -> Results:
        """The Results of the session so far."""
        from metasim.reports.contract import snapshot

        facts = evidence.run_info()
        target = (
            facts["target"]
            or getattr(self.config.option, "target", None)
            or getattr(self.config.option, "metasim_target", None)
            or "unnamed"
        )
        finished = time.time()
        scenarios = [_amend(s) for s in self.scenarios]
        if any(s.outcome == FAILED for s in scenarios):
            exit_status = max(int(exit_status), 1)
        run = RunInfo(
            target=str(target),
            started_at=_iso(self.started),
            finished_at=_iso(finished),
            duration_s=round(finished - self.started, 3),
            versions={**versions(), **facts["versions"]},
            exit_status=int(exit_status),
            command="pytest " + " ".join(self.config.invocation_params.args),
            extra=facts["extra"],
        )
        from metasim.reports.render import anchor  # jinja2 only when a report is written

        traffic = verdicts.traffic()
        late = verdicts.amended()
        traffic["late"] = [
            {"anchor": anchor(s), "title": s.name, "message": "; ".join(late[s.nodeid].messages)}
            for s in scenarios
            if s.nodeid in late
        ]
        return Results(run=run, scenarios=scenarios, contract=snapshot(), traffic=traffic)

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if session.config.option.collectonly:
            return
        from metasim.reports.render import render

        current = self.out_dir / RESULTS
        if current.exists():  # the previous run becomes the baseline of the diff
            current.replace(self.out_dir / PREVIOUS)
        self.results(int(exitstatus)).write(current)
        self.index = render(self.out_dir)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.index is not None:
            terminalreporter.write_sep("-", f"metasim report: {self.index}")


def _amend(scenario: ScenarioResult) -> ScenarioResult:
    """The scenario, failed with the late finding if traffic after its end broke a check."""
    found = verdicts.amended().get(scenario.nodeid)
    if found is None or scenario.outcome not in (PASSED, FAILED):
        return scenario
    error = "\n\n".join(part for part in (scenario.error, found.text) if part)
    return dataclasses.replace(scenario, outcome=FAILED, error=error)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """After JUnit, cucumber and Allure wrote their files: carry late verdicts into them."""
    late = verdicts.amended()
    if not late:
        return
    opt = session.config.option
    if getattr(opt, "xmlpath", None):
        verdicts.patch_junit(Path(opt.xmlpath), late)
    if getattr(opt, "cucumber_json_path", None):
        verdicts.patch_cucumber(Path(opt.cucumber_json_path), late)
    if getattr(opt, "allure_report_dir", None):
        verdicts.patch_allure(Path(opt.allure_report_dir), late)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
