"""A bounded in-memory ring of the canonical envelopes this process produced, for the admin API.

Why memory and not the store: an envelope is derived from the raw event, which the inbox keeps
(and the quarantine keeps when it fails), so it is diagnostic, not state; writing each one to
the store would add a write per update to the worker path and keep users' texts and numbers
forever. A ring of the last ``capacity`` envelopes costs a few MB at most and answers the
question tests and operators ask ("what did the gateway make of message X?") from the very
process that handled it (in worker process mode the HTTP process asks its child, which runs
the stages), which is what an acceptance run against ``metasim-gateway serve`` queries. Limits,
by design: a restart empties it, and with several gateways on one Redis each only knows the
envelopes it produced itself.
"""

from __future__ import annotations

import copy
from collections import deque
from dataclasses import dataclass, replace
from typing import Any

import orjson

CAPACITY = 2048


@dataclass(frozen=True)
class Produced:
    """One envelope as the contract stage saw it, with where it came from."""

    channel: str
    msg_id: str | None
    correlation_id: str
    where: str
    valid: bool
    recorded_at: float
    envelope: dict[str, Any]

    def frozen(self) -> Produced:
        """A copy whose envelope no later stage can change (its own parsed copy)."""
        try:
            return replace(self, envelope=orjson.loads(orjson.dumps(self.envelope)))
        except TypeError:  # what orjson cannot encode (an integer past 64 bits): the slow copy
            return replace(self, envelope=copy.deepcopy(self.envelope))

    def to_dict(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "msg_id": self.msg_id,
            "correlation_id": self.correlation_id,
            "where": self.where,
            "valid": self.valid,
            "recorded_at": self.recorded_at,
            "envelope": self.envelope,
        }


class EnvelopeRing:
    """The last ``capacity`` envelopes, oldest dropped first; lookups by message id."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        if capacity < 1:
            raise ValueError(f"envelope ring capacity must be >= 1, got {capacity}")
        self.capacity = capacity
        self._items: deque[Produced] = deque(maxlen=capacity)

    def add(self, produced: Produced) -> None:
        # a copy (a JSON round trip: 10x cheaper than copy.deepcopy on an envelope): later
        # stages must not change what the admin API shows
        self._items.append(produced.frozen())

    def find(self, msg_id: str) -> list[Produced]:
        """Every envelope kept for ``msg_id`` (redeliveries give several), oldest first."""
        return [p for p in self._items if p.msg_id == msg_id]

    def __len__(self) -> int:
        return len(self._items)
