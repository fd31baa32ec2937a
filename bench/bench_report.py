"""The HTML report's size and time-to-open in chromium, vs a minimal page opened the same way.

Run: ``.venv/bin/python -m bench.bench_report [--dir reports/out]`` for a real run's report, or
``--synthetic 600`` to render one from generated results (evidence of realistic size per
scenario, one in ten failing). The baseline is a near-empty HTML file opened by the same browser
in the same run, so the ratio separates the report's cost from the browser's own.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from metasim.reports.browser import ARGS, ensure_chromium
from metasim.reports.model import Results, RunInfo, ScenarioResult, StepResult
from metasim.reports.render import render
from metasim.simulator import catalogue
from metasim.simulator.context import BuildContext
from metasim.simulator.signing import meta_bytes

# a real catalogue payload, serialised as Meta sends it
BODY = meta_bytes(catalogue.build("wa.text", BuildContext.seeded(7))).decode("ascii")
TRACEBACK = (
    "    assert got.status == status, f'expected HTTP {status}, got {got.describe()}'\n" * 40
)


def synthetic(n: int) -> Results:
    """``n`` scenarios across T2-T14 and the three channels, with evidence like the suite's."""
    scenarios = []
    for i in range(n):
        section = f"T{2 + i % 13}"
        channel = ("wa", "ig", "msg")[i % 3]
        failed = i % 10 == 0
        evidence: dict[str, Any] = {
            "payloads": [{"target_url": f"http://127.0.0.1:8081/webhook/{channel}",
                          "headers": {"Content-Type": "application/json",
                                      "X-Hub-Signature-256": "sha256=" + "ab" * 32},
                          "body": {"text": BODY, "encoding": "utf-8", "size": len(BODY),
                                   "sha256": "cd" * 32, "truncated": False}}],
            "answers": [{"status": 200, "body": {"text": "EVENT_RECEIVED", "encoding": "utf-8",
                                                  "size": 14, "sha256": "ef" * 32,
                                                  "truncated": False}}],
            "graph_calls": [{"method": "POST", "path": "/v25.0/106540352242922/messages",
                             "status": 200, "body": {"messaging_product": "whatsapp",
                                                     "to": "16315551181", "type": "text",
                                                     "text": {"body": "Bonjour"}}}] * 2,
            "logs": [f'{{"stage":"dedupe","correlation_id":"c-{i}","level":"info"}}'] * 5,
            "exercised": [{"event": f"{channel}.text", "dialect": None, "channel": None,
                           "graph_error_code": None}],
            "dropped": {},
        }  # fmt: skip
        steps = [StepResult("Given", f"step {k} of scenario {i}", 10 + k, "passed", 0.01, None)
                 for k in range(5)]  # fmt: skip
        scenarios.append(
            ScenarioResult(
                nodeid=f"features/test_features.py::test_scenario_{i}[{channel}]",
                id=f"{section}.{i:02d}",
                section=section,
                tickets=[f"P0-0{1 + i % 6}"],
                channel=channel,
                tags=[],
                name=f"Scenario {i} does one observable thing",
                feature=f"{section} feature",
                feature_file=f"features/{section}.feature",
                line=5,
                example={},
                outcome="failed" if failed else "passed",
                reason=None,
                duration_s=0.2,
                steps=steps,
                error=TRACEBACK if failed else None,
                evidence=evidence,
            )
        )
    run = RunInfo("reference", "2026-11-25T10:00:00Z", "2026-11-25T10:03:00Z", 180.0, {}, 1, "")
    from metasim.reports.contract import snapshot

    return Results(run=run, scenarios=scenarios, contract=snapshot())


def open_times(pages: list[Path], rounds: int) -> dict[Path, list[float]]:
    """Seconds from navigation start to the load event, per page, ``rounds`` times each."""
    from playwright.sync_api import sync_playwright

    times: dict[Path, list[float]] = {p: [] for p in pages}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(ensure_chromium()), args=ARGS)
        try:
            for _ in range(rounds):
                for page_path in pages:  # interleaved: drift on a shared machine hits both
                    page = browser.new_page()
                    started = time.perf_counter()
                    page.goto(page_path.as_uri(), wait_until="load")
                    times[page_path].append(time.perf_counter() - started)
                    page.close()
        finally:
            browser.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", type=Path, default=None, help="a folder holding index.html")
    parser.add_argument("--synthetic", type=int, default=0, help="render N generated scenarios")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        render_s = None
        if args.synthetic:
            synthetic(args.synthetic).write(work / "results.json")
            started = time.perf_counter()
            report = render(work)
            render_s = time.perf_counter() - started
        else:
            report = ((args.dir or Path("reports/out")) / "index.html").resolve()
        baseline = work / "baseline.html"
        baseline.write_text("<!doctype html><title>baseline</title><p>x</p>", encoding="utf-8")
        times = open_times([report, baseline], args.rounds)
        size = report.stat().st_size
    ours, base = statistics.median(times[report]), statistics.median(times[baseline])
    print(f"machine: nproc={os.cpu_count()} {platform.processor() or platform.machine()}")
    print(f"report: {report} ({args.synthetic or 'real'} scenarios)")
    print(f"size: {size:,} bytes ({size / 1e6:.2f} MB; budget 5 MB)")
    if render_s is not None:
        print(f"render: {render_s:.2f} s")
    print(f"open (median of {args.rounds}): {ours:.3f} s; baseline page {base:.3f} s; "
          f"ratio {ours / base:.1f}x; budget 2 s")  # fmt: skip


if __name__ == "__main__":
    main()
