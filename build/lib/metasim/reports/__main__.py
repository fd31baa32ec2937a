"""`python -m reports render [DIR]`: re-render DIR/index.html from DIR/results.json (after coverage)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from metasim.reports.backlog import BacklogError
from metasim.reports.model import ResultsError
from metasim.reports.render import render

DEFAULT_DIR = Path("reports/out")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reports", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    cmd = sub.add_parser("render", help="write DIR/index.html from DIR/results.json")
    cmd.add_argument("dir", nargs="?", type=Path, default=DEFAULT_DIR)
    args = parser.parse_args(argv)
    try:
        path = render(args.dir)
    except (ResultsError, BacklogError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
