"""Meta's delivery timing: per-channel timeouts and the time-compressed retry schedule (§f)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Messenger / Instagram: answer "within 5 or less seconds". WhatsApp: Meta documents no timeout
# (docs/meta-contract.md §f ⚠); 10 s is our guess, override it with Deliverer(timeouts={"wa": ...}).
DEFAULT_TIMEOUTS: Mapping[str, float] = {"wa": 10.0, "ig": 5.0, "msg": 5.0}

# Meta-time seconds before each retry. Graph webhooks "retry immediately, then a few more times
# with decreasing frequency over the next 36 hours"; WhatsApp keeps going for up to 7 days.
# This schedule spans ~31 h: 0 s, 30 s, 2 min, 10 min, 1 h, 6 h, 24 h.
META_RETRY_DELAYS: tuple[float, ...] = (0.0, 30.0, 120.0, 600.0, 3600.0, 21600.0, 86400.0)

# Default compression: 10 000 Meta-seconds per real second, so the full schedule takes ~11 s.
DEFAULT_COMPRESSION = 10_000.0

OBJECT_CHANNELS = {"whatsapp_business_account": "wa", "instagram": "ig", "page": "msg"}


@dataclass(frozen=True)
class RetryPolicy:
    """When to retry after a non-200 or a timeout, in Meta time divided by ``compression``."""

    delays: tuple[float, ...] = META_RETRY_DELAYS
    compression: float = DEFAULT_COMPRESSION
    max_retries: int | None = None  # None: one retry per delay

    def __post_init__(self) -> None:
        if self.compression <= 0:
            raise ValueError(f"compression must be > 0, got {self.compression}")
        if any(d < 0 for d in self.delays):
            raise ValueError(f"retry delays must be >= 0, got {self.delays}")

    @classmethod
    def none(cls) -> RetryPolicy:
        """Deliver once, never retry."""
        return cls(delays=(), max_retries=0)

    def waits(self) -> list[float]:
        """Real seconds to sleep before each retry (after the first attempt)."""
        count = len(self.delays) if self.max_retries is None else self.max_retries
        delays = list(self.delays) or [0.0]
        # past the listed delays, keep the last (longest) spacing
        return [delays[min(i, len(delays) - 1)] / self.compression for i in range(count)]


def channel_of(payload: Any) -> str:
    """``wa``, ``ig`` or ``msg`` from the webhook's ``object`` field."""
    obj = payload.get("object") if isinstance(payload, Mapping) else None
    if obj not in OBJECT_CHANNELS:
        raise ValueError(
            f"cannot tell the channel: object is {obj!r}, expected one of {', '.join(OBJECT_CHANNELS)}; "
            "pass channel='wa'|'ig'|'msg'"
        )
    return OBJECT_CHANNELS[obj]
