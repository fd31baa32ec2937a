"""HTTP-process side of worker process mode: spawn the child, feed it wakes, restart it if it dies."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import socket
import sys
import time
from typing import Any

from metasim.gateway.app import STOP_GRACE_SECONDS
from metasim.gateway.observability.logs import log_event, log_exception
from metasim.gateway.runtime import Runtime, WorkerUnavailable
from metasim.gateway.split.channel import Channel
from metasim.gateway.worker import NAME as INBOX_WORKER

CALL_TIMEOUT_SECONDS = 5.0
RESTART_DELAY_SECONDS = 1.0
# the child stops its loops within gateway.app's STOP_GRACE_SECONDS, then closes: a margin on top
CHILD_STOP_SECONDS = STOP_GRACE_SECONDS + 2.0
# the app waits this long for the supervisor at shutdown: more than the child's whole stop
SUPERVISOR_STOP_SECONDS = CHILD_STOP_SECONDS + 3.0
STARTUP_TIMEOUT_SECONDS = 30.0
HUNG_SECONDS = 30.0  # no heartbeat (every 0.5 s) for this long: the child's loop is stuck


class Supervisor:
    """Runs ``python -m metasim.gateway.split.child`` linked by a socket pair, for as long as the app.

    What the HTTP process does that the workers must hear of is forwarded as it happens: an
    inbox write (an ACKed webhook, a quarantine replay) and an outbox write (the outbound API,
    a DLQ replay) each send one coalesced wake, so the child never waits for its poll. The
    child sends heartbeats (``/ready`` reports them; a silent child is killed), and answers
    the admin API's questions about what only it holds (envelopes, the tamper probe). A child that dies is started again
    after RESTART_DELAY_SECONDS; its leased work comes back through the store's leases.
    """

    def __init__(self, runtime: Runtime, argv: list[str] | None = None) -> None:
        self.runtime = runtime
        self.argv = argv or [sys.executable, "-m", "metasim.gateway.split.child"]
        self.channel: Channel | None = None
        self.pid: int | None = None
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._ids = itertools.count(1)
        self._names: set[str] = set()
        self._first_beat = asyncio.Event()
        self._first_end = asyncio.Event()  # the first child is gone (crashed, or never started)
        self._last_beat = time.monotonic()

    async def run(self, stop: asyncio.Event) -> None:
        """Keep one child running until ``stop``; then stop it gracefully."""
        while not stop.is_set():
            try:
                ended = await self._run_child(stop)
            except Exception as exc:  # could not even start one (EMFILE, ENOMEM...): retry
                log_exception("ERROR", f"worker process failed to start: {type(exc).__name__}: "
                              f"{exc}", exc, stage="worker")  # fmt: skip
                ended = True
            self._first_end.set()
            if ended and not stop.is_set():
                log_event("ERROR", "worker process ended; starting it again", stage="worker",
                          pid=self.pid, in_seconds=RESTART_DELAY_SECONDS)  # fmt: skip
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), RESTART_DELAY_SECONDS)

    async def started(self, timeout: float = STARTUP_TIMEOUT_SECONDS) -> None:
        """Wait for the child's first heartbeat, so the server listens with its workers up;
        but no longer than the first child lives: a crash-looping worker must not hold the ACK
        path closed (the inbox keeps the webhooks until a worker is up)."""
        began = time.monotonic()
        waits = [asyncio.ensure_future(e.wait()) for e in (self._first_beat, self._first_end)]
        try:
            await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()
        if not self._first_beat.is_set():
            log_event("ERROR", "worker process not up yet; /ready says worker: down until it is",
                      stage="startup", waited_seconds=round(time.monotonic() - began, 1))  # fmt: skip

    async def call(self, op: str, **args: Any) -> Any:
        """Ask the child; WorkerUnavailable if it is down or silent for CALL_TIMEOUT_SECONDS."""
        channel = self.channel
        if channel is None:
            raise WorkerUnavailable("the worker process is not running (restarting?)")
        rid = next(self._ids)
        answer: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[rid] = answer
        channel.send({"op": op, "rid": rid, **args})
        try:
            return await asyncio.wait_for(answer, CALL_TIMEOUT_SECONDS)
        except TimeoutError:
            raise WorkerUnavailable(f"the worker process did not answer {op!r} in time") from None
        finally:
            self._pending.pop(rid, None)

    async def _run_child(self, stop: asyncio.Event) -> bool:
        """One child's life; True when it ended on its own (crash), False when we stopped it."""
        ours, theirs = socket.socketpair()
        try:
            # the child checks it is still ours (os.getppid) before it runs anything
            proc = await asyncio.create_subprocess_exec(
                *self.argv, str(theirs.fileno()), str(os.getpid()), pass_fds=(theirs.fileno(),)
            )
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        self.pid = proc.pid
        self._last_beat = time.monotonic()
        channel = self.channel = await Channel.open(ours)
        rt = self.runtime
        helpers = [
            asyncio.create_task(self._forward(rt.wake_inbox, "inbox", channel)),
            asyncio.create_task(self._forward(rt.wake_outbox, "outbox", channel)),
        ]
        # wakes raised before the child was up are sent at once (the events are still set)
        listen = asyncio.create_task(self._listen(channel))
        halt = asyncio.create_task(stop.wait())
        watchdog = asyncio.create_task(self._watch(proc))
        try:
            await asyncio.wait([listen, halt, watchdog], return_when=asyncio.FIRST_COMPLETED)
            crashed = not stop.is_set()
        finally:
            self.channel = None
            for task in (*helpers, halt, watchdog):
                task.cancel()
            self._unreachable()
            if proc.returncode is None:
                proc.terminate()  # SIGTERM: the child finishes the sends it holds, then exits
                try:
                    await asyncio.wait_for(proc.wait(), CHILD_STOP_SECONDS)
                except (TimeoutError, asyncio.CancelledError):
                    proc.kill()  # cancelled too: never leave a child behind
                    await asyncio.shield(proc.wait())
            listen.cancel()
            await channel.close()
        return crashed

    async def _watch(self, proc: asyncio.subprocess.Process) -> None:
        """A child whose loop hangs keeps its socket open but stops beating: kill it (restart)."""
        while True:
            await asyncio.sleep(1.0)
            silent = time.monotonic() - self._last_beat
            if silent > HUNG_SECONDS:
                log_event("ERROR", "worker process silent; killing it to start it again",
                          stage="worker", pid=proc.pid, silent_seconds=round(silent, 1))  # fmt: skip
                proc.kill()
                return

    async def _forward(self, wake: asyncio.Event, queue: str, channel: Channel) -> None:
        while True:
            await wake.wait()
            wake.clear()  # every write until this turn ends is covered by this one wake
            channel.send({"op": "wake", "queue": queue})

    async def _listen(self, channel: Channel) -> None:
        rt = self.runtime
        async for message in channel.messages():
            op = message.get("op")
            if op == "beat":
                self._last_beat = time.monotonic()
                names = [str(n) for n in message.get("alive", [])]
                self._names.update(names)
                rt.health.stopped.difference_update(names)
                for name in names:
                    rt.health.beat(name, rt.clock())
                if INBOX_WORKER in names:  # what /ready reports: up once the child says so
                    self._first_beat.set()
            elif op == "reply":
                answer = self._pending.get(int(message.get("rid", 0)))
                if answer is not None and not answer.done():
                    answer.set_result(message.get("result"))

    def _unreachable(self) -> None:
        """The child is gone: /ready reports it at once, waiting admin calls fail now."""
        self.runtime.health.stopped.update(self._names)
        for answer in self._pending.values():
            if not answer.done():
                answer.set_exception(WorkerUnavailable("the worker process went away"))
