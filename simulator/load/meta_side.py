"""Meta's side of an overload: its webhook timeout, its redelivery back-off, what each came to."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from metasim.simulator.delivery.schedule import DEFAULT_TIMEOUTS, RetryPolicy

# What one webhook came to once Meta's retries are over (each counts the webhook once).
IN_TIME = "ACKed in time"
AFTER_RETRY = "ACKed in time after Meta's retries"
LATE = "acknowledged late only (200 after Meta's timeout)"
NEVER = "never answered (no 200 at all)"
OUTCOMES = (IN_TIME, AFTER_RETRY, LATE, NEVER)
# What each POST came to (first deliveries, Meta's retries and duplicate redeliveries alike).
ANSWERED = "answered 200 in time"
ANSWERED_LATE = "answered 200 after Meta's timeout"
REFUSED = "refused (not 200)"
NO_ANSWER = "no answer (timed out or connection failed)"
RETRIES = "Meta's retries after a failed delivery"
DUPLICATES = "duplicate redeliveries (same bytes after a 200)"
ATTEMPTS = (ANSWERED, ANSWERED_LATE, REFUSED, NO_ANSWER, RETRIES, DUPLICATES)
# Meta hangs up at its timeout; the sender waits this many timeouts (and at least a second
# more) before calling an attempt unanswered, so a 200 that came late is told apart from none.
LATE_FACTOR = 2.0
LATE_MIN_EXTRA = 1.0
# Meta-time seconds / real seconds for the redelivery back-off: Meta's 30 s and 2 min become
# 0.3 s and 1.2 s, so a retry lands inside a short load run (the acceptance suite compresses
# the same schedule 10,000 times, too short to give an overloaded gateway any rest).
COMPRESSION = 100.0
DELIVERY_ATTEMPTS = 4  # the first POST and three of Meta's retries


@dataclass(frozen=True)
class MetaTiming:
    """Per-channel timeouts (seconds) and the waits before each of Meta's retries."""

    timeouts: Mapping[str, float]
    waits: tuple[float, ...]

    @classmethod
    def make(
        cls,
        timeout: float = 0.0,
        compression: float = COMPRESSION,
        attempts: int = DELIVERY_ATTEMPTS,
    ) -> MetaTiming:
        """``timeout`` > 0 sets every channel's (else Meta's, simulator.delivery.schedule)."""
        if timeout < 0 or compression <= 0 or attempts < 1:
            raise ValueError(
                f"need timeout >= 0, compression > 0, attempts >= 1; got {timeout}, "
                f"{compression}, {attempts}"
            )
        timeouts = {ch: timeout or t for ch, t in DEFAULT_TIMEOUTS.items()}
        policy = RetryPolicy(compression=compression, max_retries=attempts - 1)
        return cls(timeouts, tuple(policy.waits()))

    @property
    def wait_limit(self) -> float:
        """How long one POST may take before the sender gives up on it."""
        longest = max(self.timeouts.values())
        return max(longest * LATE_FACTOR, longest + LATE_MIN_EXTRA)

    def budget(self) -> float:
        """The longest a webhook can stay in Meta's hands: every attempt and every wait."""
        return self.wait_limit * (len(self.waits) + 1) + sum(self.waits)


@dataclass
class Tally:
    """Counts and per-second series of one sender; several senders' tallies merge into one."""

    outcomes: Counter[str] = field(default_factory=Counter)
    attempts: Counter[str] = field(default_factory=Counter)
    # wall-clock second -> [messages first POSTed, messages ACKed in time, latencies in ms]
    series: dict[int, list[Any]] = field(default_factory=dict)
    first: float = math.inf  # wall clock of the first and the last first-POST
    last: float = 0.0

    @property
    def span(self) -> float:
        """Seconds from the first webhook sent to the last (0 with fewer than two)."""
        return max(0.0, self.last - self.first)

    def _second(self, at: float) -> list[Any]:
        return self.series.setdefault(int(at), [0, 0, []])

    def sent(self, at: float, messages: int) -> None:
        self._second(at)[0] += messages
        self.first, self.last = min(self.first, at), max(self.last, at)

    def answer(self, at: float, latency_ms: int, messages: int) -> None:
        """An answer came (any status): its latency; ``messages`` ACKed in time with it."""
        second = self._second(at)
        second[1] += messages
        second[2].append(latency_ms)

    def latencies(self) -> list[int]:
        return [ms for _, _, lats in self.series.values() for ms in lats]

    def to_message(self) -> dict[str, Any]:
        """JSON / msgpack-ready (the series keys become strings)."""
        return {
            "outcomes": dict(self.outcomes),
            "attempts": dict(self.attempts),
            "series": {str(k): v for k, v in self.series.items()},
            "span": [self.first, self.last] if self.last else [],
        }

    def merge(self, data: Mapping[str, Any]) -> None:
        """Add another sender's :meth:`to_message`."""
        self.outcomes.update(data["outcomes"])
        self.attempts.update(data["attempts"])
        if data["span"]:
            self.first = min(self.first, data["span"][0])
            self.last = max(self.last, data["span"][1])
        for key, (sent, acked, lats) in data["series"].items():
            second = self._second(int(key))
            second[0] += sent
            second[1] += acked
            second[2].extend(lats)


def percentile(values: list[int], q: float) -> float:
    """The ``q`` (0..1) percentile, nearest rank; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return float(ordered[max(0, math.ceil(q * len(ordered)) - 1)])
