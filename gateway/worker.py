"""The inbox worker: claims stored webhook events and runs every update through the pipeline."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from typing import Any

from metasim.gateway.jsonfast import loads
from metasim.gateway.observability.logs import log_event, log_exception
from metasim.gateway.parsers import ParseError, Update, parse
from metasim.gateway.pipeline.base import Job
from metasim.gateway.pipeline.build import ProcessRunner, process_runner
from metasim.gateway.pipeline.quarantine import Quarantine
from metasim.gateway.runtime import Runtime
from metasim.gateway.store.base import InboxEvent
from metasim.gateway.store.transient import is_transient

NAME = "inbox-worker"
# an event not marked done this long after its claim is claimed again (worker died)
LEASE_SECONDS = 30.0
BATCH = 32


class InboxWorker:
    """Claims inbox events under a lease; every update of an event is processed on its own."""

    def __init__(
        self, runtime: Runtime, *, batch: int = BATCH, lease_seconds: float = LEASE_SECONDS
    ) -> None:
        self.runtime = runtime
        # the processing stages (contract ... outbox), run once per update
        self.runner: ProcessRunner = process_runner(runtime)
        self.quarantine = Quarantine(runtime.store, runtime.clock)
        self.batch = batch
        self.lease_seconds = lease_seconds
        self.worker_id = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"

    async def run(self, stop: asyncio.Event) -> None:
        """Loop until ``stop``; wakes on a new inbox write or every WORKER_POLL_SECONDS."""
        rt = self.runtime
        poll = rt.settings.worker_poll_seconds
        rt.health.stopped.discard(NAME)
        try:
            while not stop.is_set():
                rt.health.beat(NAME, rt.clock())
                # cleared before the claim: a write landing during the claim re-sets it
                rt.wake_inbox.clear()
                try:
                    done = await self.run_once()
                except Exception as exc:  # the store may be briefly down: retry, never die
                    rt.metrics.errors.labels("all", "worker").inc()
                    log_exception(
                        "ERROR",
                        f"inbox claim failed: {type(exc).__name__}: {exc}",
                        exc,
                        stage="worker",
                    )
                    done = 0
                    await _wait(stop, 1.0)
                if done == 0:
                    await _wait_any(stop, rt.wake_inbox, poll)
        finally:
            rt.health.stopped.add(NAME)

    async def run_once(self) -> int:
        """Claim one batch and process its events side by side; the number of events processed.

        The events of a batch run as concurrent tasks: their store writes then share group
        commits (one transaction for the dedupe marks of the whole batch, one for its outbox
        puts...) instead of one commit per write, and each task suspends at its writes, so
        webhook ACKs are answered in between. Replies were never ordered (sends run
        concurrently and Meta itself does not order webhooks); dedupe and the one-item-per-key
        outbox keep two copies of one message in a batch to one reply.
        """
        rt = self.runtime
        events = await rt.store.inbox_claim(self.worker_id, self.batch, self.lease_seconds)
        results = await asyncio.gather(*(self.handle(e) for e in events), return_exceptions=True)
        failed = [r for r in results if isinstance(r, BaseException)]
        for extra in failed[1:]:  # the first is raised (and logged by run); none goes unsaid
            log_event("ERROR", f"event left leased: {type(extra).__name__}: {extra}",
                      stage="worker")  # fmt: skip
        if failed:
            raise failed[0]  # transient store failure: the events stay leased for a retry
        return len(events)

    async def handle(self, event: InboxEvent) -> None:
        """Process every update of one event, then mark it done (even if some were quarantined).

        The event is marked done only once it is finished or safely quarantined: when the
        quarantine write itself fails, it stays leased (claimed again when the lease ends).
        """
        rt = self.runtime
        if event.attempts > rt.settings.inbox_max_attempts:
            # claimed this often without being finished: it kills or hangs its worker (OOM, a
            # crash in a C parser...); parked for an operator instead of a crash loop
            log_event(
                "ERROR",
                f"event claimed {event.attempts} times (INBOX_MAX_ATTEMPTS="
                f"{rt.settings.inbox_max_attempts}): quarantined as poison",
                stage="worker",
                channel=event.channel,
                correlation_id=event.correlation_id,
                reason="poison",
                attempts=event.attempts,
            )
            await self._quarantine_or_keep(event, "poison", {"attempts": event.attempts}, None)
            await rt.store.inbox_done(event.event_id)
            return
        try:
            await self._updates(event)
        except Exception as exc:
            if is_transient(exc):
                # the store is briefly unreachable: leave the event leased and unfinished so it
                # is claimed again once the lease ends; dedupe and the one-item-per-key outbox
                # make the second pass safe (an ACKed event is never quarantined for this)
                raise
            # a bug outside any stage (parser crash...): keep the event, log it with its
            # traceback; the quarantine below counts it as errors_total{kind="crash"}
            log_exception(
                "ERROR",
                f"event crashed: {type(exc).__name__}: {exc}",
                exc,
                stage="worker",
                channel=event.channel,
                correlation_id=event.correlation_id,
            )
            detail = {"error": f"{type(exc).__name__}: {exc}"}
            await self._quarantine_or_keep(event, "crash", detail, exc)
        await rt.store.inbox_done(event.event_id)

    async def _quarantine_or_keep(
        self, event: InboxEvent, reason: str, detail: dict[str, Any], cause: Exception | None
    ) -> None:
        """Quarantine the whole event; if that write fails, raise so it stays leased."""
        try:
            await self._quarantine_event(event, reason, detail)
        except Exception as exc:
            why = f"{type(cause).__name__}: {cause}; " if cause is not None else ""
            log_exception(
                "CRITICAL",
                f"event left leased: {why}its quarantine write failed: {type(exc).__name__}: {exc}",
                exc,
                stage="worker",
                channel=event.channel,
                correlation_id=event.correlation_id,
                reason=reason,
            )
            raise

    async def _updates(self, event: InboxEvent) -> None:
        rt = self.runtime
        try:
            updates = parse(
                event.channel,
                loads(event.raw),
                received_at=event.received_at,
                correlation_id=event.correlation_id,
            )
        except (ValueError, ParseError) as exc:
            rt.metrics.inbound.labels(event.channel, "quarantined").inc()
            log_event(
                "WARNING",
                f"malformed webhook: {exc}",
                stage="contract",
                channel=event.channel,
                correlation_id=event.correlation_id,
                outcome="quarantined",
            )
            await self._quarantine_event(event, "malformed", {"error": str(exc)})
            return
        for update in updates:
            await self.one(event, update)

    async def one(self, event: InboxEvent, update: Update) -> str:
        """One update: receipts are counted and logged; envelopes go down the stages."""
        rt = self.runtime
        # alive while busy too: a claimed batch of big webhooks can take longer than /ready's
        # heartbeat age, and a worker working through it is not a stuck one
        rt.health.beat(NAME, rt.clock())
        if update.envelope is None:
            rt.metrics.child(rt.metrics.ignored, event.channel, update.kind).inc()
            rt.metrics.child(rt.metrics.inbound, event.channel, "ignored").inc()
            log_event(
                "INFO",
                update.kind,
                stage="contract",
                channel=event.channel,
                correlation_id=event.correlation_id,
                outcome="ignored",
                kind=update.kind,
                where=update.where,
                **_receipt_fields(update),
            )
            return "ignored"
        job = Job(event=event, update=update, envelope=update.envelope)
        return await self.runner(job)

    async def _quarantine_event(
        self, event: InboxEvent, reason: str, detail: dict[str, Any]
    ) -> None:
        """The whole event, not one update: where ``$``, kind ``event``."""
        job = Job(event=event, update=Update(kind="event", where="$", raw=None), envelope={})
        self.runtime.metrics.errors.labels(event.channel, reason).inc()
        await self.quarantine(job, reason, detail)


def _receipt_fields(update: Update) -> dict[str, Any]:
    """Ids worth logging for a receipt: a status's message id and state, a read watermark."""
    raw = update.raw if isinstance(update.raw, dict) else {}
    out: dict[str, Any] = {}
    if update.kind == "status":
        out = {"ref_msg_id": raw.get("id"), "status": raw.get("status")}
    elif update.kind == "error":
        out = {"code": raw.get("code")}
    return {k: v for k, v in out.items() if v is not None}


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def _wait_any(stop: asyncio.Event, wake: asyncio.Event, seconds: float) -> None:
    """Return when ``stop`` or ``wake`` is set, or after ``seconds``."""
    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()
