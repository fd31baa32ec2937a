"""Per-scenario state the steps share: the sample being built, deliveries, observations."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from metasim.simulator.context import BuildContext, Tenant
from metasim.simulator.delivery import DeliveryRecord, HandshakeResult
from metasim.steps.samples import business_senders, inbound, users
from metasim.steps.targets.base import Target
from metasim.steps.targets.config import TenantIds
from metasim.steps.traffic import ScenarioTraffic


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
    # the users and message ids of this scenario's samples: every send to one of these users
    # belongs to this scenario (steps.traffic), whenever it comes
    traffic: ScenarioTraffic | None = None
    senders: set[str] = field(default_factory=set)
    msg_ids: set[str] = field(default_factory=set)

    @property
    def owned(self) -> ScenarioTraffic:
        """This scenario's entry in the traffic ledger (created by the ``world`` fixture)."""
        if self.traffic is None:
            self.traffic = self.target.graph.ledger.begin("<no scenario>")
        return self.traffic

    def claim(self, payload: Any) -> None:
        """Own every user ``payload`` names; note the messages the gateway must answer."""
        ledger = self.target.graph.ledger
        business = self.target.config.business_ids
        ledger.claim(self.owned, users(payload, business))
        # an echo is sent by the business: a reply to it goes to the business itself
        ledger.claim_echoes(self.owned, business_senders(payload, business))
        if not isinstance(payload, dict):
            return
        for message in inbound(payload):
            self.senders.add(message.sender)
            self.msg_ids.add(message.msg_id)
            ledger.expect_answers(self.owned, message.sender, message.msg_id)

    def delivered(self, *records: DeliveryRecord) -> None:
        """Keep the records of deliveries just made; later sends may answer them."""
        self.records.extend(records)
        # when the last request *left* (not when its answer came back): a reply and its webhook
        # can both happen before the answer reaches this thread
        now = time.monotonic()
        self.owned.last_delivery = min(
            (now - sum(a.latency_s for a in r.attempts) for r in records), default=now
        )

    def sends(self) -> list[Any]:
        """Every send the fake Graph API saw to this scenario's users (late ones included)."""
        return self.target.graph.ledger.sends(self.owned)

    def accepted(self) -> list[Any]:
        """This scenario's sends the fake Graph API accepted (2xx)."""
        return [c for c in self.sends() if c.status is not None and c.status < 300]

    def note(self, key: str, step: str) -> Any:
        """A value an earlier step noted; a clear error naming the step that notes it."""
        if key not in self.notes:
            raise AssertionError(f"this step needs an earlier step first: {step!r}")
        return self.notes[key]

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

    def tenant_ids(self, name: str) -> TenantIds:
        """The target's ids for tenant ``name``; not applicable if the target declares none."""
        if name not in self.target.config.tenants:
            from metasim.reports import evidence

            evidence.not_applicable(f"{self.target.name} declares no {name!r} tenant")
        return self.target.config.tenant(name)

    def build_tenant(self, name: str) -> Tenant:
        """The simulator Tenant carrying the target's ids for tenant ``name``."""
        ids = self.tenant_ids(name)
        return Tenant(
            waba_id=ids.waba_id,
            phone_number_id=ids.phone_number_id,
            display_phone_number=ids.display_phone_number,
            page_id=ids.page_id,
            ig_account_id=ids.ig_account_id,
        )
