"""The worker process: inbox worker, sender and DLQ schedule, driven by its HTTP parent.

Run by metasim.gateway.split.supervisor as ``python -m metasim.gateway.split.child FD PARENT_PID`` (FD: its end
of the socket pair). Same env, same store, same settings as the parent; it dies with the parent
(PR_SET_PDEATHSIG), so a SIGKILLed gateway leaves no worker behind to race its successor.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import socket
import sys

from metasim.gateway.app import build_runtime, start_loops, stop_loops, worker_loops
from metasim.gateway.observability.logs import log_event
from metasim.gateway.runtime import Runtime
from metasim.gateway.settings import Settings
from metasim.gateway.split.channel import Channel

BEAT_SECONDS = 0.5
PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent dies (a crash test kills the parent)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


async def serve(fd: int, parent: int) -> None:
    """Run the loops until SIGTERM or until the parent's end of the channel closes."""
    die_with_parent()
    if os.getppid() != parent:  # the parent died before the request above took effect
        return
    settings = Settings.from_env()
    # below the HTTP process in the scheduler's eyes: when the CPU is short the ACKs (what Meta
    # times out on) go first, and the durable inbox absorbs the burst until this process catches
    # up. The ACK path never sleeps on a lock this process holds (GroupCommit waits on a timer);
    # only the admin API's DLQ / quarantine edits still use SQLite's busy wait, rarely.
    with contextlib.suppress(OSError):
        os.nice(settings.worker_niceness)
    runtime, close_http = build_runtime(settings)
    channel = await Channel.open(socket.socket(fileno=fd))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, lambda: None)  # Ctrl-C: the parent SIGTERMs us
    tasks = await start_loops(runtime, worker_loops(runtime), stop)
    helpers = [
        asyncio.create_task(_answer(runtime, channel, stop)),
        asyncio.create_task(_beat(runtime, channel, stop)),
    ]
    log_event("INFO", "worker process started", stage="startup", pid=os.getpid())
    try:
        await stop.wait()
    finally:
        await stop_loops(tasks, stop)
        for task in helpers:
            task.cancel()
        await close_http()
        await runtime.store.close()
        await channel.close()
        log_event("INFO", "worker process stopped", stage="shutdown", pid=os.getpid())


async def _answer(runtime: Runtime, channel: Channel, stop: asyncio.Event) -> None:
    """Wakes set the local events; questions get a reply; EOF (parent gone) stops us."""
    try:
        async for message in channel.messages():
            op = message.get("op")
            if op == "wake":
                queue = message.get("queue")
                (runtime.wake_outbox if queue == "outbox" else runtime.wake_inbox).set()
            elif op in ("envelopes", "tamper"):
                args = {k: v for k, v in message.items() if k not in ("op", "rid")}
                found = runtime.probes.call(op, **args)
                channel.send({"op": "reply", "rid": message.get("rid"), "result": found})
    finally:
        stop.set()


async def _beat(runtime: Runtime, channel: Channel, stop: asyncio.Event) -> None:
    """Tell the parent which loops are alive (its /ready reports them), twice a second."""
    max_age = runtime.health.max_age(runtime.settings)
    while not stop.is_set():
        alive = runtime.health.alive_names(runtime.clock(), max_age)
        channel.send({"op": "beat", "alive": alive})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), BEAT_SECONDS)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or not all(a.isdigit() for a in args):
        sys.stderr.write(
            "usage: python -m metasim.gateway.split.child FD PARENT_PID (started by metasim-gateway)\n"
        )
        return 2
    fd, parent = int(args[0]), int(args[1])
    try:
        import uvloop

        uvloop.run(serve(fd, parent))
    except ImportError:
        asyncio.run(serve(fd, parent))
    return 0


if __name__ == "__main__":
    sys.exit(main())
