"""The Allure 3 single file loses its analytics tag and nothing else."""

from __future__ import annotations

from pathlib import Path

from metasim.reports.allure_offline import main, strip_analytics

# the shape allure 3.18's awesome plugin writes (generators.js template, analyticsEnable: true)
PAGE = """<body>
    <div id="app"></div>
    <script>
      window.allure = window.allure || {};
    </script>
    <script async src="https://www.googletagmanager.com/gtag/js?id=G-LNDJ3J7WT0"></script>
    <script>
        window.dataLayer = window.dataLayer || [];
        function gtag(){dataLayer.push(arguments);}
        gtag('js', new Date());
        gtag('config', 'G-LNDJ3J7WT0', {
          "report": "awesome",
          "single_file": "true"
        });
    </script>
    <script>window.allureReportData = {"a": 1};</script>
</body>"""


def test_the_gtag_blocks_go_and_the_report_data_stays() -> None:
    html, removed = strip_analytics(PAGE)
    assert removed == 1
    assert "googletagmanager" not in html and "dataLayer" not in html
    assert "window.allure = window.allure || {};" in html
    assert '<script>window.allureReportData = {"a": 1};</script>' in html


def test_cli_rewrites_in_place_and_fails_if_a_tag_survives(tmp_path: Path) -> None:
    page = tmp_path / "index.html"
    page.write_text(PAGE, encoding="utf-8")
    assert main([str(page)]) == 0
    assert "googletagmanager" not in page.read_text(encoding="utf-8")
    page.write_text('<script src="https://www.googletagmanager.com/gtm.js"></script>')
    assert main([str(page)]) == 1  # a template Allure changed: say so rather than ship it
