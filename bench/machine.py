"""The machine line every benchmark prints first: cores, CPU, Python, load average."""

from __future__ import annotations

import os
import platform


def describe() -> str:
    """``machine: nproc=2 x86_64 Python 3.11.7, load average 0.53 1.10`` (1 and 5 minutes): the
    load says whether other work shared the machine during the figures that follow."""
    cpu = platform.processor() or platform.machine()
    one, five, _ = os.getloadavg()
    return (
        f"machine: nproc={os.cpu_count()} {cpu} Python {platform.python_version()}, "
        f"load average {one:.2f} {five:.2f}"
    )
