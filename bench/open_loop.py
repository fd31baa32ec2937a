"""An open-loop HTTP/1.1 POST sender on raw asyncio streams: requests leave on a fixed schedule.

A closed-loop client (wrk, httpx workers) waits for each answer before sending again, so a slow
server lowers the offered rate and hides its own latency (coordinated omission). Here request i
is due at ``start + i / rate`` whatever happened before; its latency is measured from that due
time, so a stall counts against every request that had to wait. Several keep-alive connections
share the schedule; a hand-written request and a minimal answer parser keep the client cheap
enough to offer 1,000 requests/s from one Python process.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field


@dataclass
class Result:
    """Per-request outcome: HTTP status, latency from due time, and when it actually left."""

    statuses: list[int] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    sent_at: dict[int, float] = field(default_factory=dict)  # request index -> epoch seconds
    wall: float = 0.0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def request_bytes(host: str, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def _answer(reader: asyncio.StreamReader) -> int:
    """Read one HTTP/1.1 answer (Content-Length framed); its status code."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return status


async def run(host: str, port: int, requests: list[bytes], rate: float, connections: int) -> Result:
    """Send ``requests`` at ``rate`` per second over ``connections`` keep-alive connections."""
    result = Result()
    queue: asyncio.Queue[tuple[int, float] | None] = asyncio.Queue()

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while (job := await queue.get()) is not None:
                index, due = job
                result.sent_at[index] = time.time()
                writer.write(requests[index])
                status = await _answer(reader)
                result.statuses.append(status)
                result.latencies.append(time.perf_counter() - due)
        finally:
            writer.close()

    workers = [asyncio.create_task(connection()) for _ in range(connections)]
    # perf_counter, not loop.time(): uvloop's clock ticks in whole milliseconds
    start = time.perf_counter() + 0.05
    for i in range(len(requests)):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        queue.put_nowait((i, due))
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
    result.wall = time.perf_counter() - start
    return result
