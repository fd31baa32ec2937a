"""Strip the Google Analytics tag Allure 3 writes into its single-file report (no phoning home)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

# allure 3.x's awesome plugin always renders `analyticsEnable: true` (no option turns it off in
# 3.18): a gtag.js loader plus its config script. The report must open offline without trying
# the network, on CI runners with no egress too.
GTAG = re.compile(
    r"\s*<script async src=\"https://www\.googletagmanager\.com/gtag/js\?id=[^\"]*\"></script>"
    r"\s*<script>\s*window\.dataLayer = window\.dataLayer \|\| \[\];.*?</script>",
    re.DOTALL,
)


def strip_analytics(html: str) -> tuple[str, int]:
    """``html`` without the gtag loader and config, and how many blocks were removed."""
    return GTAG.subn("", html, count=1)


def main(argv: list[str] | None = None) -> int:
    """``python -m metasim.reports.allure_offline PATH``: rewrite PATH in place; exit 1 if tags remain."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(
            "usage: python -m metasim.reports.allure_offline path/to/allure-report/index.html",
            file=sys.stderr,
        )
        return 2
    path = Path(args[0])
    html, removed = strip_analytics(path.read_text(encoding="utf-8"))
    path.write_text(html, encoding="utf-8")
    if "googletagmanager.com" in html:
        print(
            f"error: {path} still loads googletagmanager.com (Allure template changed?)",
            file=sys.stderr,
        )
        return 1
    print(f"{path}: analytics tag removed" if removed else f"{path}: no analytics tag")
    return 0


if __name__ == "__main__":
    sys.exit(main())
