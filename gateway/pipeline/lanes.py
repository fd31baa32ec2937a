"""The two lanes of the runner: ingress (per POST, up to the ACK) and processing (per update)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from metasim.gateway import seal as sealing
from metasim.gateway.observability.logs import exception_fields, log_enabled, log_event
from metasim.gateway.pipeline.base import Fields, Ingress, Job, Reject, Stop
from metasim.gateway.pipeline.quarantine import Quarantine
from metasim.gateway.store.transient import is_transient

if TYPE_CHECKING:
    from metasim.gateway.observability.metrics import Metrics


class IngressLane:
    """A ``Reject`` ends the POST with its answer (counted, logged); anything else is a bug the
    webhook route answers 500; ``None`` means every stage passed: answer 200."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def check(self, ctx: Ingress) -> None:
        return None

    def passed(self, ctx: Ingress, stage: str, fields: Fields) -> None:
        level = fields.pop("level", "INFO")
        if not log_enabled(level):
            return  # three lines per POST: not built when LOG_LEVEL filters them out
        log_event(level, "ok", stage=stage, channel=ctx.channel,
                  correlation_id=ctx.correlation_id, **fields)  # fmt: skip

    async def stopped(self, ctx: Ingress, stage: str, exc: Exception) -> Reject | None:
        if not isinstance(exc, Reject):
            raise exc  # a bug: the route answers 500 and logs the traceback
        channel = ctx.channel or "unknown"
        self.metrics.inbound.labels(channel, "rejected").inc()
        self.metrics.errors.labels(channel, exc.code).inc()
        log_event(
            "WARNING",
            exc.message,
            stage=stage,
            channel=ctx.channel,
            correlation_id=ctx.correlation_id,
            outcome="rejected",
            status=exc.status,
            code=exc.code,
        )
        return exc

    def finished(self, ctx: Ingress) -> Reject | None:
        return None


class ProcessLane:
    """Ends an update with the outcome inbound_total counts.

    Once sealed, the envelope is checked before every later stage: a stage (or anything
    else) that changed it without re-sealing is caught, and the update is quarantined.
    A crash inside a stage is logged, counted and quarantined; it never escapes. A transient
    store error does escape: the worker leaves the event leased for a retry.
    """

    def __init__(self, metrics: Metrics, quarantine: Quarantine, seal_key: bytes) -> None:
        self.metrics = metrics
        self.quarantine = quarantine
        self.seal_key = seal_key

    def check(self, job: Job) -> None:
        if job.seal is not None and not sealing.intact(job.envelope, job.seal, self.seal_key):
            raise Stop("quarantined", "seal-broken", quarantine=True)

    def passed(self, job: Job, stage: str, fields: Fields) -> None:
        _log(job, stage, "INFO", "ok", "continue", fields)

    async def stopped(self, job: Job, stage: str, exc: Exception) -> str:
        if isinstance(exc, Stop):
            return await self._ended(job, stage, exc)
        if is_transient(exc):
            raise exc  # the store is briefly down: the event stays leased for a retry
        # counted once, as errors_total{kind="crash"}, by the quarantine below
        crash = Stop("quarantined", "crash", quarantine=True, error=f"{type(exc).__name__}: {exc}")
        return await self._ended(job, stage, crash, "ERROR", exception_fields(exc))

    def finished(self, job: Job) -> str:
        self.metrics.child(self.metrics.inbound, job.channel, "processed").inc()
        return "processed"

    async def _ended(
        self,
        job: Job,
        stage: str,
        stop: Stop,
        level: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> str:
        metrics = self.metrics
        if stop.outcome == "ignored":
            metrics.child(metrics.ignored, job.channel, stop.reason).inc()
        metrics.child(metrics.inbound, job.channel, stop.outcome).inc()
        if stop.quarantine:
            metrics.errors.labels(job.channel, stop.reason).inc()
            await self.quarantine(job, stop.reason, stop.detail)
        if level is None:
            level = "WARNING" if stop.quarantine else "INFO"
        _log(job, stage, level, stop.reason, stop.outcome, {**stop.detail, **(extra or {})})
        return stop.outcome


def _log(job: Job, stage: str, level: str, msg: str, outcome: str, fields: Fields) -> None:
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
