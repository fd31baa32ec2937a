"""Run tests.cli.fake_gateway under uvicorn on a free 127.0.0.1 port, for real-socket tests."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from metasim.simulator.net import free_port
from metasim.simulator.process import ServerProcess

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def running_gateway() -> Iterator[str]:
    """Yield the base URL of a fake gateway process; stop it on exit."""
    port = free_port()
    argv = [sys.executable, "-m", "uvicorn", "tests.cli.fake_gateway:app", "--host", "127.0.0.1"]
    argv += ["--port", str(port), "--log-level", "warning"]
    with ServerProcess(argv, port=port, cwd=ROOT, name="fake gateway"):
        yield f"http://127.0.0.1:{port}"
