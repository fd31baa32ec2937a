"""Meta's limits over time (off by default): throughput, pair rate, page rate, 24-hour window (§i)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

LIMITS = ("throughput", "pair_rate", "page_rate", "window")
DAY = 24 * 3600.0


@dataclass
class LimitSettings:
    """The numbers Meta documents; change them per test if needed."""

    wa_mps: int = 80  # default per-number throughput; 1000 for upgraded numbers
    wa_mps_by_number: dict[str, int] = field(default_factory=dict)
    pair_burst: int = 45  # "bursts up to 45 in 6 s" to one user
    pair_interval: float = 6.0  # "about 1 message per 6 s to the same user"
    page_rps: int = 300  # Messenger / IG Send API calls per second per Page / IG account
    # ⚠ Meta's rate-limiting page names no code for the Send API's per-Page limit; 613 ("calls to
    # this api have exceeded the rate limit") is what Send API clients report, 32 is Graph's
    # Page-level code: choose with page_rate_code.
    page_rate_code: int = 613
    window: float = DAY  # the customer-service window


@dataclass
class _Bucket:
    tokens: float
    at: float


class Limits:
    """Counts sends in simulated time; :meth:`check_*` return a catalogue error key or None."""

    def __init__(self, clock: Callable[[], float], settings: LimitSettings | None = None) -> None:
        self._clock = clock
        self.settings = settings or LimitSettings()
        self.enabled: set[str] = set()
        self._sends: dict[str, deque[float]] = {}
        self._pairs: dict[tuple[str, str], _Bucket] = {}
        self._page_calls: dict[str, deque[float]] = {}
        self._inbound: dict[tuple[str, str], float] = {}

    # -- switches -------------------------------------------------------------------------
    def enable(self, *names: str) -> None:
        """Turn limits on (all of them when no name is given)."""
        self.enabled |= set(self._names(names or LIMITS))

    def disable(self, *names: str) -> None:
        """Turn limits off (all of them when no name is given)."""
        self.enabled -= set(self._names(names or LIMITS))

    @staticmethod
    def _names(names: Iterable[str]) -> list[str]:
        names = list(names)
        unknown = [n for n in names if n not in LIMITS]
        if unknown:
            raise ValueError(f"unknown limit(s) {unknown}; known: {', '.join(LIMITS)}")
        return names

    def reset(self) -> None:
        """Forget the counters and the inbound log (switches and settings stay)."""
        self._sends.clear()
        self._pairs.clear()
        self._page_calls.clear()
        self._inbound.clear()

    # -- the customer-service window ------------------------------------------------------
    def note_inbound(self, tenant: str, user: str, at: float | None = None) -> None:
        """Record that ``user`` wrote to ``tenant`` at ``at`` (default now): opens the window."""
        moment = self._clock() if at is None else float(at)
        key = (tenant, user)
        self._inbound[key] = max(moment, self._inbound.get(key, moment))

    def window_open(self, tenant: str, user: str) -> bool:
        """True if ``user`` wrote to ``tenant`` within the window."""
        last = self._inbound.get((tenant, user))
        return last is not None and self._clock() - last < self.settings.window

    # -- checks (called for accepted-so-far sends only) -----------------------------------
    def check_whatsapp(self, number: str, recipient: str, free_form: bool) -> str | None:
        """The error key a WhatsApp send hits, if any; counts the send when it passes."""
        if not self.enabled:
            return None
        now = self._clock()
        if "window" in self.enabled and free_form and not self.window_open(number, recipient):
            return "131047"
        if "throughput" in self.enabled:
            mps = self.settings.wa_mps_by_number.get(number, self.settings.wa_mps)
            if not _admit(self._sends.setdefault(number, deque()), now, mps):
                return "130429"
        if "pair_rate" in self.enabled and not self._take_pair(number, recipient, now):
            return "131056"
        return None

    def check_page(self, page: str, recipient: str, tagged: bool) -> str | None:
        """The error key a Messenger / IG send hits, if any (window: 2018278 unless tagged)."""
        if not self.enabled:
            return None
        if "window" in self.enabled and not tagged and not self.window_open(page, recipient):
            return "2018278"
        if "page_rate" in self.enabled:
            calls = self._page_calls.setdefault(page, deque())
            if not _admit(calls, self._clock(), self.settings.page_rps):
                return str(self.settings.page_rate_code)
        return None

    def _take_pair(self, number: str, recipient: str, now: float) -> bool:
        s = self.settings
        bucket = self._pairs.get((number, recipient))
        if bucket is None:
            bucket = self._pairs[(number, recipient)] = _Bucket(float(s.pair_burst), now)
        # token bucket: refills one message per pair_interval, holds at most pair_burst
        bucket.tokens = min(
            float(s.pair_burst), bucket.tokens + (now - bucket.at) / s.pair_interval
        )
        bucket.at = now
        if bucket.tokens < 1.0:
            return False
        bucket.tokens -= 1.0
        return True

    def describe(self) -> dict[str, Any]:
        """Switches and settings, for the HTTP control API."""
        return {"enabled": sorted(self.enabled), "settings": vars(self.settings)}


def _admit(window: deque[float], now: float, per_second: int) -> bool:
    """Sliding one-second window: admit and count if fewer than ``per_second`` in the last 1 s."""
    while window and window[0] <= now - 1.0:
        window.popleft()
    if len(window) >= per_second:
        return False
    window.append(now)
    return True
