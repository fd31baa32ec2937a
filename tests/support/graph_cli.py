"""The command line that starts the fake Graph API (`metasim graph serve`) as a child process."""

from __future__ import annotations

import sys


def graph_serve_argv(port: int, *options: str) -> list[str]:
    """``metasim graph serve`` on 127.0.0.1:``port`` with ``options``, logging warnings only.

    Run through this interpreter (``-m metasim.simulator.cli.main``) so the child uses the same venv as
    the test or benchmark that starts it, installed console script or not.
    """
    return [
        sys.executable,
        "-m",
        "metasim.simulator.cli.main",
        "graph",
        "serve",
        "--port",
        str(port),
        *options,
        "--log-level",
        "warning",
    ]
