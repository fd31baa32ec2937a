"""The report in a real browser: ticket table, channel filter, a failing scenario's evidence."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from metasim.reports.browser import ARGS, ROOT, ensure_chromium
from tests.reports.synthetic import write_suite

pytest_plugins = ["pytester"]
SHOTS = ROOT / "reports" / "out" / "screenshots"


@pytest.fixture
def report(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A report whose run has a deliberately failing scenario (T2.06), after an all-green run.

    The synthetic suite stands in for the mutant gateways of the acceptance suite: its T2.06
    step fails unless SYNTHETIC_FIXED=1, so the second run shows a newly failing scenario.
    """
    write_suite(pytester)
    monkeypatch.setenv("SYNTHETIC_FIXED", "1")
    pytester.runpytest("--metasim-report", "out")
    monkeypatch.delenv("SYNTHETIC_FIXED")
    pytester.runpytest("--metasim-report", "out")
    return pytester.path / "out" / "index.html"


@pytest.fixture
def mutant_report(tmp_path: Path) -> Path:
    """A real acceptance run against the mutant gateway that processes statuses as messages.

    T2.06 (a status is acknowledged and ignored) fails on it with a real payload and the reply
    the mutant wrongly sent on the fake Graph API; T2.07 (IG) and T2.09 (Messenger) pass.
    """
    out = tmp_path / "out"
    # the bug planted in-process (tests/mutants/plugin.py): the same report, without a
    # gateway process to start
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "features", "--target", "reference-inprocess",
         "-p", "tests.mutants.plugin", "-m", "T2.06 or T2.07 or T2.09", "-q",
         "-p", "no:cacheprovider", "--metasim-report", str(out), "--timeout", "120"],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
        env={**os.environ, "COVERAGE_PROCESS_START": "", "GATEWAY_MUTANT": "statuses_as_messages"},
    )  # fmt: skip
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]  # some scenario failed
    return out / "index.html"


@pytest.fixture
def page() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    chromium = ensure_chromium()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), args=ARGS)
        try:
            yield browser.new_page(viewport={"width": 1280, "height": 900})
        finally:
            browser.close()


def visible_ids(page: Any) -> list[str]:
    return page.locator("details.scenario:visible .sid").all_inner_texts()


def test_report_in_chromium(report: Path, page: Any) -> None:
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    fetched: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda req: fetched.append(req.url))
    started = time.perf_counter()
    page.goto(report.as_uri(), wait_until="load")
    opened_s = time.perf_counter() - started
    page.screenshot(path=str(SHOTS / "report-top.png"))
    assert fetched == [report.as_uri()]  # the page itself and nothing else: works offline
    print(f"report {report.stat().st_size} bytes opened in {opened_s:.3f} s")

    # the ticket table, recomputed
    def status(ticket: str) -> str:
        return page.locator(f'#ticket-table tr[data-ticket="{ticket}"] td.status').inner_text()

    assert status("P1-02") == "failing"  # T2.06 fails
    assert status("P0-01") == "partial"  # T2.06 is also TODO P1-02's: it never sinks P0-01
    assert status("P1-04") == "untested"  # its only scenario is not applicable
    assert status("P2-05") == "untested"  # its only scenario was skipped
    assert status("P0-04") == "untested"
    chips = page.locator('#ticket-table tr[data-ticket="P0-01"] a.chip').all_inner_texts()
    assert chips == ["T2.01·ig", "T2.01·wa", "T2.06·wa", "T2.09·msg"]
    assert page.locator("ul.newly-failing li").all_inner_texts()[0].startswith("T2.06")

    # filter by channel
    page.select_option("#f-channel", "ig")
    assert visible_ids(page) == ["T2.01"]
    expect(page.locator("#shown")).to_have_text("1 of 9 shown")
    page.screenshot(path=str(SHOTS / "report-filter-ig.png"), full_page=True)
    page.select_option("#f-channel", "wa")
    page.select_option("#f-outcome", "failed")
    assert visible_ids(page) == ["T2.06"]  # T14.07 fails too, but has no channel
    page.click("#f-reset")
    expect(page.locator("#shown")).to_have_text("9 of 9 shown")

    # the failing scenario, opened from its chip in the ticket table: payload and Graph calls
    page.click('#ticket-table tr[data-ticket="P1-02"] a.chip')
    failing = page.locator("details.scenario.outcome-failed", has_text="A status update")
    expect(failing).to_have_attribute("open", "")
    expect(failing).to_be_in_viewport()
    body = failing.locator("pre.body-bytes").inner_text()
    assert body.startswith('{"object":"whatsapp_business_account"') and "caf\\u00e9 \\/" in body
    assert "http://127.0.0.1:9/webhook/wa" in failing.inner_text()
    graph = failing.locator("pre.graph-call").inner_text()
    assert '"path": "/v23.0/106540352242922/messages"' in graph and '"status": 400' in graph
    assert "c-1" in failing.locator("pre.logs").inner_text()
    assert "a reply was sent for a status update" in failing.locator("pre.err").first.inner_text()
    failing.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "report-failing-scenario.png"))

    # a matrix cell filters by section and channel
    page.click('#matrix-table td[data-section="T2"][data-channel="msg"]')
    assert visible_ids(page) == ["T2.09"]
    assert errors == []


def test_report_of_a_mutant_gateway_in_chromium(mutant_report: Path, page: Any) -> None:
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(mutant_report.as_uri(), wait_until="load")
    row = page.locator('#ticket-table tr[data-ticket="P1-02"]')
    expect(row.locator("td.status")).to_have_text("failing")
    expect(page.locator('#ticket-table tr[data-ticket="P0-03"] td.status')).to_have_text("partial")
    page.locator("#backlog").screenshot(path=str(SHOTS / "mutant-backlog.png"))

    page.select_option("#f-channel", "ig")
    assert visible_ids(page) == ["T2.07"]
    page.select_option("#f-channel", "wa")
    ids = visible_ids(page)
    assert ids and set(ids) == {"T2.06"}

    failing = page.locator("details.scenario.outcome-failed").first
    failing.locator(":scope > summary").click()
    expect(failing).to_have_attribute("open", "")
    body = failing.locator("pre.body-bytes").first.inner_text()
    assert '"object":"whatsapp_business_account"' in body and '"statuses":[' in body
    graph = failing.locator("pre.graph-call").first.inner_text()
    assert '"path": "/v25.0/106540352242922/messages"' in graph  # the reply it must not send
    failing.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "mutant-failing-scenario.png"))
    assert errors == []
