"""Per-scenario state the steps share: the sample being built, deliveries, observations."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from simulator.context import BuildContext, Tenant
from simulator.delivery import DeliveryRecord, HandshakeResult
from steps.targets.base import Target


@dataclass
class World:
    """What one scenario built, sent and saw; created fresh for every scenario."""

    target: Target
    ctx: BuildContext
    event: str | None = None
    channel: str | None = None
    # None: the event's own default (WhatsApp: dual, phone and business-scoped id together)
    dialect: str | None = None
    tenant: str = "primary"
    payload: dict[str, Any] | None = None
    payloads: list[dict[str, Any]] = field(default_factory=list)
    records: list[DeliveryRecord] = field(default_factory=list)
    handshake: HandshakeResult | None = None
    metrics_before: dict[str, float] | None = None
    response: Any = None
    notes: dict[str, Any] = field(default_factory=dict)
    # senders of the samples built in this scenario: sends to anyone else belong to another
    # scenario (a retry finishing late) and are not counted here
    senders: set[str] = field(default_factory=set)
    msg_ids: set[str] = field(default_factory=set)

    def sends(self) -> list[Any]:
        """Sends the fake Graph API saw since the scenario began, to this scenario's senders."""
        calls = self.target.graph.sends()
        return [c for c in calls if c.recipient in self.senders] if self.senders else calls

    def accepted(self) -> list[Any]:
        """This scenario's sends the fake Graph API accepted (2xx)."""
        return [c for c in self.sends() if c.status is not None and c.status < 300]

    @property
    def last(self) -> DeliveryRecord:
        """The latest delivery; a clear error if the scenario delivered nothing yet."""
        if not self.records:
            raise AssertionError("no sample was delivered yet: add a 'When ... is delivered' step")
        return self.records[-1]

    def require_payload(self) -> dict[str, Any]:
        """The sample built by a Given step; a clear error if none was."""
        if self.payload is None:
            raise AssertionError('no sample was built yet: start with Given a "<event>" sample')
        return self.payload

    def build_tenant(self, name: str) -> Tenant:
        """The simulator Tenant carrying the target's ids for tenant ``name``."""
        ids = self.target.config.tenant(name)
        return Tenant(
            waba_id=ids.waba_id,
            phone_number_id=ids.phone_number_id,
            display_phone_number=ids.display_phone_number,
            page_id=ids.page_id,
            ig_account_id=ids.ig_account_id,
        )
