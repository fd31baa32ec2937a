"""The renderer: self-contained HTML, tables, contract coverage, code coverage, diff, escaping."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from metasim.reports import contract
from metasim.reports.render import anchor, render
from tests.reports.factory import CONTRACT, results, scenario

EVIDENCE = {
    "payloads": [
        {
            "target_url": "http://127.0.0.1:8081/webhook/wa",
            "headers": {"X-Hub-Signature-256": "sha256=5e0c"},
            "body": {"text": '{"text":"</script><script>alert(1)</script>"}', "encoding": "utf-8",
                     "size": 45, "sha256": "ab" * 32, "truncated": False},
        }
    ],
    "answers": [{"status": 200, "body": {"text": "EVENT_RECEIVED", "encoding": "utf-8", "size": 14,
                                          "sha256": "cd" * 32, "truncated": False}}],
    "graph_calls": [{"method": "POST", "path": "/v23.0/106540352242922/messages", "status": 400}],
    "logs": ['{"stage":"dedupe","correlation_id":"c-77"}'],
    "exercised": [
        {"event": "wa.text", "dialect": None, "channel": None, "graph_error_code": None},
        {"event": "wa.nonexistent", "dialect": None, "channel": None, "graph_error_code": None},
        {"event": None, "dialect": None, "channel": None, "graph_error_code": "100"},
    ],
    "dropped": {"graph_calls": 3},
}  # fmt: skip


def write(out: Path, name: str, doc: object) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / name).write_text(json.dumps(doc), encoding="utf-8")


def sample_run(out: Path) -> str:
    failing = scenario(
        "features/test_t2.py::test_status[wa]", "failed", id="T2.06", tickets=["P0-01", "P1-02"],
        channel="wa", error="AssertionError: a reply was sent", evidence=EVIDENCE,
    )  # fmt: skip
    scenarios = [
        scenario("features/test_t2.py::test_text[wa]", id="T2.01", tickets=["P0-01"], channel="wa"),
        scenario("features/test_t2.py::test_text[ig]", id="T2.01", tickets=["P0-01"], channel="ig"),
        failing,
        scenario("features/test_t12.py::test_metrics", "not_applicable", id="T12.01",
                 tickets=["P2-03"], reason="the target declares no metrics URL"),
    ]  # fmt: skip
    results(scenarios).write(out / "results.json")
    return render(out).read_text(encoding="utf-8")


def test_self_contained_single_file(tmp_path: Path) -> None:
    html = sample_run(tmp_path)
    assert "<style>" in html and "<script>" in html
    # nothing is fetched: no external stylesheet, script, image or font
    assert not re.search(r"<link\b", html)
    assert not re.search(r"<script[^>]*\bsrc=", html)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "default-src 'none'" in html  # and the page forbids itself any fetch


def test_summary_backlog_and_matrix(tmp_path: Path) -> None:
    html = sample_run(tmp_path)
    assert '<b id="run-target">reference</b>' in html
    assert '<b data-count="failed">1</b>' in html and '<b data-count="passed">2</b>' in html
    assert '<b data-count="not_applicable">1</b>' in html
    # T2.06 fails, but it is also P1-02's, a ticket still to do: it never sinks DONE P0-01
    assert '<tr data-ticket="P0-01" class="status-partial">' in html
    assert '<tr data-ticket="P1-02" class="status-failing">' in html
    assert '<tr data-ticket="P2-03" class="status-untested">' in html
    assert '<tr data-ticket="P0-02" class="status-untested">' in html
    # T2 row: wa has one pass and one failure, ig one pass; T12 has no channel
    assert re.search(r'data-section="T2" data-channel="wa">\s*<span class="n outcome-passed" '
                     r'title="passed">1</span><span class="n outcome-failed" title="failed">1</span>', html)  # fmt: skip
    assert re.search(
        r'data-section="T12" data-channel="none">\s*<span class="n outcome-not_applicable"', html
    )


def test_failures_first_with_escaped_evidence(tmp_path: Path) -> None:
    html = sample_run(tmp_path)
    ids = re.findall(r'<details class="scenario outcome-(\w+)"', html)
    assert ids == ["failed", "passed", "passed", "not_applicable"]
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "</script><script>alert(1)" not in html
    assert "http://127.0.0.1:8081/webhook/wa" in html and "sha256=5e0c" in html
    assert "/v23.0/106540352242922/messages" in html
    assert "c-77" in html
    assert "3 more graph_calls" in html
    assert "the target declares no metrics URL" in html


def test_contract_coverage_rows() -> None:
    s = scenario("n1", evidence=EVIDENCE)
    events = contract.event_rows(CONTRACT, [s])
    table = {(r["name"], r["dialect"]): (len(r["by"]), r["unknown"]) for r in events}
    assert table == {
        ("ig.story_reply", "classic"): (0, False),
        ("wa.nonexistent", "classic"): (1, True),
        ("wa.text", "bsuid"): (0, False),
        ("wa.text", "classic"): (1, False),  # no dialect given: the first one
    }
    assert contract.summary(events) == {"total": 3, "exercised": 1, "unknown": 1}
    assert contract.by_channel(events) == {
        "ig": {"total": 1, "exercised": 0, "unknown": 0},
        "wa": {"total": 2, "exercised": 1, "unknown": 1},
    }
    errors = contract.graph_error_rows(CONTRACT, [s])
    # "100" is not a key; it is the code of the subcode-keyed Messenger error 2018001
    assert [(r["key"], len(r["by"])) for r in errors] == [("131047", 0), ("2018001", 1)]


def test_code_coverage_summary_and_link(tmp_path: Path) -> None:
    cov = {
        "meta": {"timestamp": "2026-11-25T10:01:00"},
        "totals": {"percent_covered": 87.456, "num_statements": 1200, "missing_lines": 151},
        "files": {"gateway/app.py": {"summary": {"percent_covered": 90.0, "num_statements": 50,
                                                  "missing_lines": 5}}},
    }  # fmt: skip
    write(tmp_path, "coverage.json", cov)
    (tmp_path / "coverage").mkdir()
    (tmp_path / "coverage" / "index.html").write_text("<html></html>")
    html = sample_run(tmp_path)
    assert '<b id="coverage-percent">87.5 %</b> of 1200 statements (151 missed)' in html
    assert '<a href="coverage/index.html">line by line</a>' in html
    assert "<code>gateway/app.py</code>" in html


def test_diff_with_the_previous_run(tmp_path: Path) -> None:
    previous = results(
        [
            scenario("features/test_t2.py::test_status[wa]", id="T2.06"),
            scenario("features/test_t2.py::test_text[wa]", "failed", id="T2.01"),
            scenario("features/test_t9.py::test_replay", id="T9.03"),
        ],
        started="2026-11-24T09:00:00Z",
    )
    previous.write(tmp_path / "previous-results.json")
    html = sample_run(tmp_path)
    section = html[html.index('id="changes"') : html.index('id="backlog"')]
    assert "compared with the run of 2026-11-24T09:00:00Z" in section
    failing = section[section.index('class="newly-failing"') :]
    assert failing.split("</ul>")[0].count("<li>") == 1 and "passed → failed" in failing
    passing = section[section.index('class="newly-passing"') :].split("</ul>")[0]
    assert "T2.01" in passing and "failed → passed" in passing
    assert "No longer run (1)" in section and "features/test_t9.py::test_replay" in section
    assert "New scenarios (2)" in section
    # short lists open, long ones folded
    assert '<details class="change-list" open><summary><b>Newly failing (1)</b>' in section


def test_step_catalogue_and_artifacts_are_linked_when_present(tmp_path: Path) -> None:
    html = sample_run(tmp_path)
    assert 'href="steps.html"' not in html and "not generated in this folder" in html
    (tmp_path / "steps.html").write_text("<html></html>")
    (tmp_path / "junit.xml").write_text("<testsuites/>")
    html = render(tmp_path).read_text(encoding="utf-8")
    assert '<a href="steps.html" class="ext">step catalogue</a>' in html
    assert '<a href="junit.xml" class="ext">JUnit XML</a>' in html


def test_anchor_is_stable_and_linked_from_the_ticket_table(tmp_path: Path) -> None:
    html = sample_run(tmp_path)
    s = scenario("features/test_t2.py::test_status[wa]")
    assert anchor(s) == anchor(scenario("features/test_t2.py::test_status[wa]"))
    assert f'id="{anchor(s)}"' in html and f'href="#{anchor(s)}"' in html


def test_cli_renders_and_reports_missing_results(tmp_path: Path) -> None:
    sample_run(tmp_path)
    (tmp_path / "index.html").unlink()
    ok = subprocess.run([sys.executable, "-m", "reports", "render", str(tmp_path)],
                        capture_output=True, text=True, check=False)  # fmt: skip
    assert ok.returncode == 0 and ok.stdout.strip() == str(tmp_path / "index.html")
    assert (tmp_path / "index.html").exists()
    empty = tmp_path / "empty"
    bad = subprocess.run([sys.executable, "-m", "reports", "render", str(empty)],
                         capture_output=True, text=True, check=False)  # fmt: skip
    assert bad.returncode == 2
    assert "no results; run the suite with --metasim-report" in bad.stderr


def test_a_failure_without_a_failing_step_shows_its_message(tmp_path: Path) -> None:
    error = "error in setup:\n    def _broken(request):\n>       raise RuntimeError('x')\nE       RuntimeError: the gateway did not start\n\nconftest.py:9: RuntimeError"
    s = scenario("features/test_t14.py::test_backup", "failed", id="T14.07", error=error)
    results([s]).write(tmp_path / "results.json")
    html = render(tmp_path).read_text(encoding="utf-8")
    assert '<pre class="err">RuntimeError: the gateway did not start</pre>' in html
    assert '<summary>traceback</summary><pre class="err traceback">error in setup:' in html
