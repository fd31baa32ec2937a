"""What the processing stages keep for the admin API: recent envelopes and the tamper probe."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from metasim.gateway.envelopes import EnvelopeRing


@dataclass
class TamperProbe:
    """Test probe (never in prod): how many coming envelopes the seal stage alters after
    sealing, so a black-box suite can see the runner reject a tampered envelope (T7)."""

    armed: int = 0

    def arm(self) -> int:
        self.armed += 1
        return self.armed

    def take(self) -> bool:
        """True (and one less armed) when the next envelope is to be altered."""
        if self.armed <= 0:
            return False
        self.armed -= 1
        return True


@dataclass
class Probes:
    """Held where the stages run; the HTTP process reaches them through its worker link."""

    envelopes: EnvelopeRing = field(default_factory=EnvelopeRing)
    tamper: TamperProbe = field(default_factory=TamperProbe)

    def call(self, op: str, **args: Any) -> Any:
        """Answer one admin question: ``envelopes`` (by ``msg_id``) or ``tamper`` (arm)."""
        if op == "envelopes":
            kept = self.envelopes.find(str(args.get("msg_id", "")))
            return {
                "capacity": self.envelopes.capacity,
                "envelopes": [p.to_dict() for p in kept],
            }
        if op == "tamper":
            return {"armed": self.tamper.arm()}
        raise ValueError(f"unknown probe question {op!r}")
