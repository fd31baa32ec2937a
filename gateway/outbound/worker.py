"""The outbox worker: claims due replies, sends them, then marks sent, retries or dead-letters."""

from __future__ import annotations

import asyncio
import contextlib
import random
from dataclasses import replace

from metasim.gateway.observability.logs import log_event, log_exception
from metasim.gateway.outbound.backoff import delay
from metasim.gateway.outbound.errors import Verdict, classify, graph_error, transport
from metasim.gateway.outbound.graph_client import GraphAnswer
from metasim.gateway.runtime import Runtime
from metasim.gateway.store.base import OutboxItem
from metasim.gateway.tenants import Client

NAME = "outbox-worker"
BATCH = 16
# A lease outlives the longest send (the Graph timeout) by a margin, so only a dead worker
# ever lets one expire; recovery then dead-letters the item as inflight-at-crash.
LEASE_MARGIN_SECONDS = 5.0


class OutboxWorker:
    """Sends due outbox items; one ``send`` log line per attempt, one ``dlq`` line per dead letter."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        batch: int = BATCH,
        rng: random.Random | None = None,
        concurrency: int | None = None,
    ) -> None:
        self.runtime = runtime
        self.batch = batch
        # sends in flight at once in ``run`` (OUTBOX_CONCURRENCY); ``run_once`` claims ``batch``
        self.concurrency = concurrency or runtime.settings.outbox_concurrency
        self.rng = rng or random.Random()
        self.lease_seconds = runtime.settings.graph_timeout_seconds + LEASE_MARGIN_SECONDS
        self._clients: dict[str, Client] = {c.client_id: c for c in runtime.tenants.clients}

    async def run(self, stop: asyncio.Event) -> None:
        """Recover, then send until ``stop``; wakes on a new outbox write, a freed slot or a poll.

        Up to ``concurrency`` sends are in flight at once, and a slot freed by one finished send
        is refilled at once: a whole batch no longer waits for its slowest send (the Graph round
        trip, not the CPU, bounded the drain rate). Each claimed item is owned by exactly one
        task and sent once; on ``stop`` the sends in flight are awaited, never abandoned.
        """
        rt = self.runtime
        poll = rt.settings.worker_poll_seconds
        rt.health.stopped.discard(NAME)
        last_recover = float("-inf")
        inflight: set[asyncio.Task[str]] = set()
        freed = asyncio.Event()

        def finished(task: asyncio.Task[str]) -> None:
            inflight.discard(task)
            freed.set()
            exc = None if task.cancelled() else task.exception()
            if exc is not None:  # the store failed after the send: the lease recovers it
                rt.metrics.errors.labels("all", "outbox_worker").inc()
                log_exception("ERROR", f"outbox worker: {type(exc).__name__}: {exc}", exc,
                              stage="send")  # fmt: skip

        try:
            while not stop.is_set():
                now = rt.clock()
                rt.health.beat(NAME, now)
                # cleared before the claim: a write or a finished send during it re-sets them
                rt.wake_outbox.clear()
                freed.clear()
                claimed = 0
                try:
                    # at start, then every half lease: items a dead process left inflight
                    if now - last_recover >= self.lease_seconds / 2:
                        await self.recover()
                        last_recover = now
                    free = self.concurrency - len(inflight)
                    if free > 0:
                        items = await rt.store.outbox_claim_due(now, free, self.lease_seconds)
                        for item in items:
                            task = asyncio.create_task(self.send_one(item))
                            inflight.add(task)
                            task.add_done_callback(finished)
                        claimed = len(items)
                except Exception as exc:  # the store may be briefly down: retry, never die
                    rt.metrics.errors.labels("all", "outbox_worker").inc()
                    log_exception("ERROR", f"outbox worker: {type(exc).__name__}: {exc}", exc,
                                  stage="send")  # fmt: skip
                    await _wait_any(stop, None, 1.0)
                if claimed == 0 or len(inflight) >= self.concurrency:
                    # nothing due, or every slot busy: wait for new work or a freed slot
                    await _wait_any(stop, rt.wake_outbox if claimed == 0 else None, poll, freed)
                else:
                    await asyncio.sleep(0)  # let the sends just started reach the network
        finally:
            if inflight:
                await asyncio.gather(*inflight, return_exceptions=True)
            rt.health.stopped.add(NAME)

    async def recover(self) -> list[OutboxItem]:
        """Dead-letter items left inflight by a worker that died mid-send (never re-sent)."""
        rt = self.runtime
        items = await rt.store.outbox_recover(rt.clock())
        for item in items:
            rt.metrics.outbound.labels(item.channel, "dead").inc()
            self._log_dlq(item, "inflight-at-crash", replayable=False)
        return items

    async def run_once(self) -> int:
        """Claim due items and send them concurrently; the number of items handled."""
        rt = self.runtime
        items = await rt.store.outbox_claim_due(rt.clock(), self.batch, self.lease_seconds)
        if items:
            await asyncio.gather(*(self.send_one(item) for item in items))
        return len(items)

    async def send_one(self, item: OutboxItem) -> str:
        """One attempt for one claimed item: "sent", "retry" or "dead"."""
        rt = self.runtime
        client = self._clients.get(item.client_id)
        if client is None or not client.token_ok(rt.clock()):
            why = "client-unknown" if client is None else "token-missing-or-expired"
            return await self._dead(item, Verdict(False, why), None)
        answer = await rt.graph.send(item.url, item.body, client.graph_token)
        now = rt.clock()
        if answer.ok:
            await rt.store.outbox_sent(
                item.key, answer.body if isinstance(answer.body, dict) else {}
            )
            rt.metrics.child(rt.metrics.outbound, item.channel, "sent").inc()
            if item.created_at > 0:
                rt.metrics.child(rt.metrics.e2e_latency, item.channel).observe(
                    max(0.0, now - item.created_at)
                )
            self._log_send(item, answer, "sent")
            return "sent"
        if answer.transport:
            verdict = transport(answer.transport)
        else:
            verdict = classify(answer.status, answer.body, item.attempts)
        if not verdict.retryable or item.attempts >= rt.settings.outbox_max_attempts:
            return await self._dead(item, verdict, answer)
        wait = delay(
            item.attempts,
            base=rt.settings.outbox_backoff_base_seconds,
            cap=rt.settings.outbox_backoff_max_seconds,
            retry_after=answer.retry_after,
            min_delay=verdict.min_delay,
            rng=self.rng,
        )
        await rt.store.outbox_retry_later(item.key, now + wait, _error_text(answer, verdict))
        rt.metrics.outbound.labels(item.channel, "retry").inc()
        self._log_send(item, answer, "retry", reason=verdict.reason, retry_in=round(wait, 3))
        return "retry"

    async def _dead(self, item: OutboxItem, verdict: Verdict, answer: GraphAnswer | None) -> str:
        rt = self.runtime
        # a retryable failure that ran out of attempts may succeed later: the DLQ schedule
        # replays it; a permanent one would fail the same way, so only a human forces it
        reason = verdict.reason if not verdict.retryable else f"max-attempts: {verdict.reason}"
        error = _error_text(answer, verdict) if answer else verdict.reason
        await rt.store.dlq_put(replace(item, last_error=error), reason, verdict.retryable)
        rt.metrics.outbound.labels(item.channel, "dead").inc()
        if answer is not None:
            self._log_send(item, answer, "dead", reason=reason)
        self._log_dlq(item, reason, replayable=verdict.retryable, error=error)
        return "dead"

    def _log_send(
        self, item: OutboxItem, answer: GraphAnswer, outcome: str, **fields: object
    ) -> None:
        log_event(
            "INFO" if outcome == "sent" else "WARNING",
            f"send {outcome}",
            stage="send",
            channel=item.channel,
            msg_id=item.msg_id,
            correlation_id=item.correlation_id,
            key=item.key,
            attempt=item.attempts,
            status=answer.status,
            outcome=outcome,
            **fields,
        )

    def _log_dlq(self, item: OutboxItem, reason: str, *, replayable: bool, error: str = "") -> None:
        log_event(
            "WARNING",
            f"dead-lettered: {reason}",
            stage="dlq",
            channel=item.channel,
            msg_id=item.msg_id,
            correlation_id=item.correlation_id,
            key=item.key,
            attempt=item.attempts,
            reason=reason,
            replayable=replayable,
            error=error,
        )


def _error_text(answer: GraphAnswer | None, verdict: Verdict) -> str:
    if answer is None:
        return verdict.reason
    code, _, message = graph_error(answer.body)
    head = f"HTTP {answer.status}" if answer.status else (answer.transport or "transport")
    return (
        f"{head} {verdict.reason}: {message}"[:500]
        if message or code
        else f"{head} {verdict.reason}"
    )


async def _wait_any(
    stop: asyncio.Event,
    wake: asyncio.Event | None,
    seconds: float,
    freed: asyncio.Event | None = None,
) -> None:
    """Return when ``stop``, ``wake`` or ``freed`` is set, or after ``seconds``."""
    waiters = [asyncio.ensure_future(stop.wait())]
    for event in (wake, freed):
        if event is not None:
            waiters.append(asyncio.ensure_future(event.wait()))
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await w
