"""Run the stages in order, one JSON log line per stage, stopping and quarantining on the way."""

from __future__ import annotations

import inspect
import json
import uuid
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from metasim.gateway import seal as sealing
from metasim.gateway.observability.logs import exception_fields, log_enabled, log_event
from metasim.gateway.pipeline import INGRESS, PROCESS
from metasim.gateway.pipeline.base import Ingress, Job, Reject, Stop
from metasim.gateway.store.base import Quarantined
from metasim.gateway.store.transient import is_transient


async def ingress(ctx: Ingress, stages: Sequence[ModuleType] = INGRESS) -> Reject | None:
    """parse -> signature -> ack for one POST; the Reject to answer with, or None for 200."""
    for stage in stages:
        try:
            fields = stage.run(ctx)
            if inspect.isawaitable(fields):
                fields = await fields
        except Reject as reject:
            channel = ctx.channel or "unknown"
            metrics = ctx.runtime.metrics
            metrics.inbound.labels(channel, "rejected").inc()
            metrics.errors.labels(channel, reject.code).inc()
            log_event(
                "WARNING",
                reject.message,
                stage=stage.NAME,
                channel=ctx.channel,
                correlation_id=ctx.correlation_id,
                outcome="rejected",
                status=reject.status,
                code=reject.code,
            )
            return reject
        fields = dict(fields or {})
        level = fields.pop("level", "INFO")
        if not log_enabled(level):
            continue  # three lines per POST: not built when LOG_LEVEL filters them out
        log_event(
            level,
            "ok",
            stage=stage.NAME,
            channel=ctx.channel,
            correlation_id=ctx.correlation_id,
            **fields,
        )
    return None


async def process(job: Job, stages: Sequence[ModuleType] = PROCESS) -> str:
    """contract -> ... -> outbox for one update; returns the outcome inbound_total counts.

    Once sealed, the envelope is checked before every later stage: a stage (or anything
    else) that changed it without re-sealing is caught, and the update is quarantined.
    A crash inside a stage is logged, counted and quarantined; it never escapes.
    """
    for stage in stages:
        try:
            if job.seal is not None and not sealing.intact(
                job.envelope, job.seal, job.runtime.seal_key
            ):
                raise Stop("quarantined", "seal-broken", quarantine=True)
            fields = await stage.run(job)
        except Stop as stop:
            return await _stopped(job, stage.NAME, stop)
        except Exception as exc:
            if is_transient(exc):
                # the store is briefly down: the worker leaves the event leased for a retry
                raise
            # counted once, as errors_total{kind="crash"}, by the quarantine below
            crash = Stop(
                "quarantined", "crash", quarantine=True, error=f"{type(exc).__name__}: {exc}"
            )
            return await _stopped(job, stage.NAME, crash, "ERROR", exception_fields(exc))
        _log(job, stage.NAME, "INFO", "ok", "continue", fields or {})
    job.runtime.metrics.child(job.runtime.metrics.inbound, job.channel, "processed").inc()
    return "processed"


async def _stopped(
    job: Job, stage: str, stop: Stop, level: str | None = None, extra: dict[str, Any] | None = None
) -> str:
    metrics = job.runtime.metrics
    if stop.outcome == "ignored":
        metrics.child(metrics.ignored, job.channel, stop.reason).inc()
    metrics.child(metrics.inbound, job.channel, stop.outcome).inc()
    if stop.quarantine:
        metrics.errors.labels(job.channel, stop.reason).inc()
        await quarantine(job, stop.reason, stop.detail)
    if level is None:
        level = "WARNING" if stop.quarantine else "INFO"
    _log(job, stage, level, stop.reason, stop.outcome, {**stop.detail, **(extra or {})})
    return stop.outcome


def _log(job: Job, stage: str, level: str, msg: str, outcome: str, fields: dict[str, Any]) -> None:
    if not log_enabled(level):
        return  # six lines per message: skip building them when the level is filtered out
    log_event(
        level,
        msg,
        stage=stage,
        channel=job.channel,
        msg_id=job.msg_id,
        correlation_id=job.event.correlation_id,
        outcome=outcome,
        where=job.update.where,
        **fields,
    )


async def quarantine(job: Job, reason: str, detail: dict[str, Any]) -> None:
    """Keep the whole raw webhook (replayable) with where the update sits in it and why."""
    record = Quarantined(
        quarantine_id=uuid.uuid4().hex,
        channel=job.channel,
        reason=reason,
        raw=job.event.raw,
        correlation_id=job.event.correlation_id,
        at=job.runtime.clock(),
        detail={
            "event_id": job.event.event_id,
            "where": job.update.where,
            "msg_id": job.msg_id,
            "kind": job.update.kind,
            **json.loads(json.dumps(detail, default=str)),
        },
    )
    await job.runtime.store.quarantine_put(record)
