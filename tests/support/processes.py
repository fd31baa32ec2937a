"""Run a server process for a test: start it, wait until its port listens, always stop it."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from metasim.simulator.net import wait_listening


def stop(process: subprocess.Popen[Any], timeout: float = 10.0) -> None:
    """SIGTERM, then SIGKILL if it has not exited within ``timeout`` seconds; always reaped."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def serving(
    argv: Sequence[str],
    port: int,
    *,
    cwd: Path | None = None,
    stdout: int | IO[Any] | None = subprocess.DEVNULL,
    stderr: int | IO[Any] | None = subprocess.DEVNULL,
    text: bool = False,
    start_timeout: float = 15.0,
    stop_timeout: float = 10.0,
) -> Iterator[subprocess.Popen[Any]]:
    """Start ``argv``, yield the process once 127.0.0.1:``port`` accepts connections, stop it on
    exit (also when it never came up), so no test leaves a server behind."""
    process = subprocess.Popen(list(argv), cwd=cwd, stdout=stdout, stderr=stderr, text=text)
    try:
        wait_listening(port, timeout=start_timeout)
        yield process
    finally:
        stop(process, timeout=stop_timeout)
