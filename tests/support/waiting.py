"""Wait in an event loop until a condition holds (a bounded poll for tests)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


async def until(predicate: Callable[[], bool], timeout: float, interval: float = 0.02) -> bool:
    """True as soon as ``predicate()`` holds, False once ``timeout`` seconds passed without."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if predicate():
            return True
        await asyncio.sleep(interval)
    return False
