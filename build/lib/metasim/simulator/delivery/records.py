"""What a delivery observed: each attempt's answer and latency, and the final outcome."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Outcome = Literal["delivered", "failed"]
EXCERPT_CHARS = 200


@dataclass(frozen=True)
class Attempt:
    """One POST of a delivery; ``status`` is None when no HTTP answer came (timeout, refused)."""

    number: int
    status: int | None
    body_excerpt: str
    latency_s: float
    error: str | None = None
    waited_s: float = 0.0  # real seconds slept before this attempt (compressed schedule)

    @property
    def ok(self) -> bool:
        """Meta counts only HTTP 200 as success ("status code other than 200", docs/meta-contract.md §f)."""
        return self.status == 200

    def describe(self) -> str:
        """One line for humans: ``#2 200 in 12 ms: {"ok":true}`` or ``#1 timeout after 5.0 s``."""
        ms = f"{self.latency_s * 1000:.0f} ms"
        if self.status is None:
            return f"#{self.number} no answer after {ms}: {self.error}"
        body = f": {self.body_excerpt}" if self.body_excerpt else ""
        return f"#{self.number} HTTP {self.status} in {ms}{body}"


@dataclass(frozen=True)
class DeliveryRecord:
    """One webhook delivered as Meta would: the exact bytes and headers, and every attempt."""

    url: str
    channel: str
    body: bytes = field(repr=False)
    headers: dict[str, str]
    attempts: tuple[Attempt, ...]
    outcome: Outcome
    defect: str | None = None
    legacy_sha1: bool = False
    redelivery_of: DeliveryRecord | None = field(default=None, repr=False)
    sequence_index: int | None = None  # position in the sequence as built, for disorder tests

    @property
    def ok(self) -> bool:
        """True when an attempt got HTTP 200."""
        return self.outcome == "delivered"

    @property
    def final(self) -> Attempt:
        """The last attempt made."""
        return self.attempts[-1]

    @property
    def final_status(self) -> int | None:
        """The HTTP status of the last attempt (None if it got no answer)."""
        return self.final.status

    @property
    def statuses(self) -> list[int | None]:
        """Every attempt's HTTP status, in order."""
        return [a.status for a in self.attempts]


@dataclass(frozen=True)
class HandshakeResult:
    """One GET verification request and whether the answer is what Meta requires (§e)."""

    variant: str
    url: str
    status: int | None
    body: str
    expected_status: int
    expected_body: str | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """200 with the exact challenge for a valid request, 403 for every other variant."""
        if self.status != self.expected_status:
            return False
        return self.expected_body is None or self.body == self.expected_body

    def describe(self) -> str:
        """One line for humans, saying what Meta expects when the answer is wrong."""
        want = f"{self.expected_status}" + (
            f" with body {self.expected_body!r}" if self.expected_body is not None else ""
        )
        got = (
            f"no answer ({self.error})"
            if self.status is None
            else f"{self.status} {self.body[:80]!r}"
        )
        verdict = "ok" if self.ok else "WRONG"
        return f"{verdict:5} {self.variant:15} got {got}; Meta requires {want}"
