"""Prometheus metrics of the gateway over a private registry (P2-03)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Literal

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

if TYPE_CHECKING:
    from metasim.gateway.store.base import Store

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# ACK must stay well under 50 ms, so the low buckets are fine-grained.
ACK_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
E2E_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    """Every counter, histogram and gauge the gateway exposes on ``/metrics``.

    A private registry (not the process default) so several apps in one test process do not
    collide and each test sees its own counts.
    """

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._children: dict[tuple[int, tuple[str | None, ...]], Any] = {}
        r = self.registry
        self.inbound = Counter(
            "inbound_total",
            "Inbound webhook updates by outcome (accepted, rejected, processed, ignored, quarantined, duplicate, error)",
            ["channel", "outcome"],
            registry=r,
        )
        self.outbound = Counter(
            "outbound_total",
            "Graph API sends by outcome (queued, sent, retry, dead)",
            ["channel", "outcome"],
            registry=r,
        )
        self.errors = Counter(
            "errors_total",
            "Errors by kind (bad_json, too_large, crash, ...)",
            ["channel", "kind"],
            registry=r,
        )
        self.ignored = Counter(
            "ignored_total",
            "Acknowledged updates that are not messages (status, echo, read, delivery, ...)",
            ["channel", "kind"],
            registry=r,
        )
        self.signature = Counter(
            "signature_total",
            "Signature checks by mode and result (valid, missing, wrong, skipped)",
            ["channel", "mode", "result"],
            registry=r,
        )
        self.ack_latency = Histogram(
            "ack_latency_seconds",
            "Time from request received to the 200 ACK",
            ["channel"],
            buckets=ACK_BUCKETS,
            registry=r,
        )
        self.e2e_latency = Histogram(
            "e2e_latency_seconds",
            "Time from webhook received to the reply accepted by the Graph API",
            ["channel"],
            buckets=E2E_BUCKETS,
            registry=r,
        )
        # read from the store at each scrape: with several processes the latest reading wins
        mode: Literal["mostrecent"] = "mostrecent"
        self.inbox_depth = Gauge("inbox_depth", "Events waiting in the inbox", registry=r,
                                 multiprocess_mode=mode)  # fmt: skip
        self.outbox_depth = Gauge("outbox_depth", "Replies waiting in the outbox", registry=r,
                                  multiprocess_mode=mode)  # fmt: skip
        self.dlq_depth = Gauge("dlq_depth", "Items in the dead-letter queue", registry=r,
                               multiprocess_mode=mode)  # fmt: skip
        # 1 while the inbox worker beats, as this process sees it (reported, not required by
        # /ready); absent from an HTTP process whose worker runs alone (its own port has it)
        self.worker_alive = Gauge("worker_alive", "1 while the inbox worker is alive", registry=r,
                                  multiprocess_mode=mode)  # fmt: skip
        self.quarantine_depth = Gauge("quarantine_depth", "Items in quarantine", registry=r,
                                      multiprocess_mode=mode)  # fmt: skip

    def child(self, metric: Any, *labels: str | None) -> Any:
        """``metric.labels(*labels)``, looked up once: the hot paths count per request, and
        ``labels()`` re-validates and locks on every call (the child object is stable)."""
        key = (id(metric), labels)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = metric.labels(*labels)
        return found

    async def refresh_depths(self, store: Store) -> None:
        """Read the four queue depths from the store (called on each ``/metrics`` scrape)."""
        self.inbox_depth.set(await store.inbox_depth())
        self.outbox_depth.set(await store.outbox_depth())
        self.dlq_depth.set(await store.dlq_depth())
        self.quarantine_depth.set(await store.quarantine_depth())

    def render(self) -> bytes:
        """The Prometheus text exposition of this registry, or of every gateway process.

        In worker process mode ``serve`` sets PROMETHEUS_MULTIPROC_DIR before anything imports
        prometheus_client, so both processes write their samples there (the library's own
        multi-process mode) and a scrape of the HTTP process sums them.
        """
        if os.environ.get(MULTIPROC_ENV):
            merged = CollectorRegistry()
            multiprocess.MultiProcessCollector(merged)
            return generate_latest(merged)
        return generate_latest(self.registry)

    def value(self, name: str, labels: dict[str, str] | None = None) -> float:
        """One sample's current value (0.0 if never set): handy for tests and the admin API."""
        got = self.registry.get_sample_value(name, labels or {})
        return 0.0 if got is None else got
