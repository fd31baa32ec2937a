"""Blocking wrappers over :class:`Deliverer` for scripts and synchronous tests."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from metasim.simulator.delivery.deliverer import ASGIApp, Deliverer, Order
from metasim.simulator.delivery.records import DeliveryRecord, HandshakeResult


class SyncDeliverer:
    """The :class:`Deliverer` API, blocking; one private event loop per instance.

    ``with SyncDeliverer(url, secret) as d: d.deliver(payload, path="/webhook/wa")``.
    Not for use inside a running event loop (use :class:`Deliverer` there).
    """

    def __init__(self, target: str | ASGIApp, secret: str, **kwargs: Any) -> None:
        self._runner = asyncio.Runner()
        self._inner: Deliverer = self._runner.run(self._make(target, secret, kwargs))

    @staticmethod
    async def _make(target: str | ASGIApp, secret: str, kwargs: dict[str, Any]) -> Deliverer:
        return Deliverer(target, secret, **kwargs)  # the client binds to the runner's loop

    def __enter__(self) -> SyncDeliverer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def inner(self) -> Deliverer:
        """The wrapped async deliverer."""
        return self._inner

    def close(self) -> None:
        """Close the client and the private loop."""
        self._runner.run(self._inner.aclose())
        self._runner.close()

    def deliver(self, payload: Any, **kwargs: Any) -> DeliveryRecord:
        """See :meth:`Deliverer.deliver`."""
        return self._runner.run(self._inner.deliver(payload, **kwargs))

    def redeliver(self, record: DeliveryRecord, mode: str = "same") -> DeliveryRecord:
        """See :meth:`Deliverer.redeliver`."""
        return self._runner.run(self._inner.redeliver(record, mode))

    def deliver_sequence(
        self, payloads: Sequence[Any], *, order: Order = None, **kwargs: Any
    ) -> list[DeliveryRecord]:
        """See :meth:`Deliverer.deliver_sequence`."""
        return self._runner.run(self._inner.deliver_sequence(payloads, order=order, **kwargs))

    def handshake(self, path: str = "", token: str = "", variant: str = "valid") -> HandshakeResult:
        """See :meth:`Deliverer.handshake`."""
        return self._runner.run(self._inner.handshake(path, token, variant))

    def handshake_all(self, path: str = "", token: str = "") -> list[HandshakeResult]:
        """See :meth:`Deliverer.handshake_all`."""
        return self._runner.run(self._inner.handshake_all(path, token))


def deliver_sync(target: str | ASGIApp, secret: str, payload: Any, **kwargs: Any) -> DeliveryRecord:
    """Deliver one payload and return its record, blocking (opens and closes a client)."""
    options = {
        k: kwargs.pop(k) for k in ("timeouts", "retry", "sleep", "extra_headers") if k in kwargs
    }
    with SyncDeliverer(target, secret, **options) as deliverer:
        return deliverer.deliver(payload, **kwargs)
