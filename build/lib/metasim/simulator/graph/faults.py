"""Scripted failures per route, tenant and recipient: Graph errors, 5xx, latency, timeouts, resets."""

from __future__ import annotations

import itertools
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from metasim.simulator.graph.errors import entry
from metasim.simulator.graph.recorder import RecordedCall, call_matches, check_criteria

# error: a catalogue Graph error; http: a bare 5xx with an HTML body (a proxy / edge failure);
# latency: delay, then answer normally; no_answer: hold the request past any client timeout;
# reset: drop the TCP connection; failed_status: accept, then a `failed` status webhook;
# lost_answer: accept the send (recorded 200, an id issued, status webhooks planned), then
# lose the answer on the way back (a reset, or no answer with lose_as="no_answer"): the case
# a client cannot tell from a send that never arrived.
ACTIONS = ("error", "http", "latency", "no_answer", "reset", "failed_status", "lost_answer")
LOSE_AS = ("reset", "no_answer")
TERMINAL = frozenset(ACTIONS) - {"latency"}

# Meta's edge answers outages with an HTML page, not a Graph JSON body.
HTML_ERROR_PAGE = (
    '<!DOCTYPE html><html lang="en" id="facebook"><head><title>Facebook | Error</title>'
    '<meta charset="utf-8"></head><body><div id="content"><h1>Sorry, something went wrong.'
    "</h1><p>We're working on getting this fixed as soon as we can.</p></div></body></html>"
)


@dataclass
class Fault:
    """One scripted failure; ``times`` = fail the next N matching calls (None: always)."""

    action: str
    criteria: dict[str, Any] = field(default_factory=dict)
    code: str | None = None
    status: int | None = None
    retry_after: int | None = None
    details: str | None = None
    latency: tuple[float, float] | None = None
    hold: float = 3600.0
    lose_as: str = "reset"
    times: int | None = None
    probability: float = 1.0
    id: str = ""
    fired: int = 0

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(
                f"unknown fault action {self.action!r}; use one of {', '.join(ACTIONS)}"
            )
        check_criteria(self.criteria)
        if self.action in ("error", "failed_status"):
            if self.code is None:
                raise ValueError(f"a {self.action} fault needs code= (a Graph error code)")
            self.code = entry(self.code).key  # raises listing the catalogue
        if self.action == "http" and not (self.status and 500 <= self.status <= 599):
            raise ValueError(f"an http fault needs a 5xx status, got {self.status!r}")
        if self.action == "latency" and self.latency is None:
            raise ValueError("a latency fault needs latency=seconds or (min, max)")
        if self.lose_as not in LOSE_AS:
            raise ValueError(f"lose_as must be one of {', '.join(LOSE_AS)}, got {self.lose_as!r}")
        if self.latency is not None and not 0 <= self.latency[0] <= self.latency[1]:
            raise ValueError(f"latency range must satisfy 0 <= min <= max, got {self.latency}")
        if not 0.0 <= self.probability <= 1.0:
            raise ValueError(f"probability must be within [0, 1], got {self.probability}")
        if self.times is not None and self.times < 0:
            raise ValueError(f"times must be >= 0, got {self.times}")

    @property
    def exhausted(self) -> bool:
        """True once a ``times``-limited fault has fired that many times."""
        return self.times is not None and self.fired >= self.times

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view (the HTTP control API's listing)."""
        data = {k: v for k, v in vars(self).items() if v is not None}
        if self.latency is not None:
            data["latency"] = list(self.latency)
        return data


def _latency(value: Any) -> tuple[float, float] | None:
    if value is None:
        return None
    if isinstance(value, int | float):
        return (float(value), float(value))
    low, high = value
    return (float(low), float(high))


def fault_from_dict(raw: Mapping[str, Any]) -> Fault:
    """A fault from its JSON form: ``{"action", "match"?, "code"?, "status"?, "latency"?, ...}``."""
    allowed = {
        "action",
        "match",
        "code",
        "status",
        "retry_after",
        "details",
        "latency",
        "hold",
        "lose_as",
        "times",
        "probability",
    }
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ValueError(f"unknown fault fields {unknown}; allowed: {', '.join(sorted(allowed))}")
    if "action" not in raw:
        raise ValueError(f"a fault needs 'action', one of {', '.join(ACTIONS)}")
    return Fault(
        action=str(raw["action"]),
        criteria=dict(raw.get("match") or {}),
        code=None if raw.get("code") is None else str(raw["code"]),
        status=raw.get("status"),
        retry_after=raw.get("retry_after"),
        details=raw.get("details"),
        latency=_latency(raw.get("latency")),
        hold=float(raw.get("hold", 3600.0)),
        lose_as=str(raw.get("lose_as", "reset")),
        times=raw.get("times"),
        probability=float(raw.get("probability", 1.0)),
    )


@dataclass(frozen=True, slots=True)
class Decision:
    """What the faults make of one call: extra delay (s) and the terminal fault, if any."""

    delay: float = 0.0
    fault: Fault | None = None


NO_FAULT = Decision()


class FaultBook:
    """The scripted faults, checked in the order they were added; seeded for reproducibility."""

    def __init__(self, seed: int | None = 0) -> None:
        self._faults: list[Fault] = []
        self._rng = random.Random(seed)
        self._ids = itertools.count(1)

    def add(self, fault: Fault) -> Fault:
        """Script ``fault``; returns it with its id (for :meth:`remove`)."""
        fault.id = f"fault-{next(self._ids)}"
        self._faults.append(fault)
        return fault

    def error(self, code: int | str, **options: Any) -> Fault:
        """Answer Graph error ``code`` (catalogue status, body, Retry-After)."""
        return self._make("error", code=str(code), **options)

    def http(self, status: int = 502, **options: Any) -> Fault:
        """Answer a bare 5xx with an HTML body."""
        return self._make("http", status=status, **options)

    def latency(self, seconds: float | tuple[float, float], **options: Any) -> Fault:
        """Delay matching calls by ``seconds`` or a random time in ``(min, max)``, then answer."""
        return self._make("latency", latency=_latency(seconds), **options)

    def no_answer(self, hold: float = 3600.0, **options: Any) -> Fault:
        """Never answer (within ``hold`` seconds): the client's timeout fires."""
        return self._make("no_answer", hold=hold, **options)

    def reset(self, **options: Any) -> Fault:
        """Drop the connection without an answer."""
        return self._make("reset", **options)

    def failed_status(self, code: int | str, **options: Any) -> Fault:
        """Accept the send, then report it ``failed`` with ``code`` in the status webhook."""
        return self._make("failed_status", code=str(code), **options)

    def lost_answer(self, lose_as: str = "reset", hold: float = 3600.0, **options: Any) -> Fault:
        """Accept the send (recorded 200, id issued, status webhooks), then lose the answer:
        drop the connection (``lose_as="reset"``) or hold it unanswered (``"no_answer"``)."""
        return self._make("lost_answer", lose_as=lose_as, hold=hold, **options)

    def _make(
        self, action: str, *, times: int | None = None, probability: float = 1.0, **options: Any
    ) -> Fault:
        fields = {
            k: options.pop(k)
            for k in ("code", "status", "retry_after", "details", "latency", "hold", "lose_as")
            if k in options
        }
        return self.add(
            Fault(action, criteria=options, times=times, probability=probability, **fields)
        )

    def remove(self, fault_id: str) -> bool:
        """Drop one fault; True if it existed."""
        before = len(self._faults)
        self._faults = [f for f in self._faults if f.id != fault_id]
        return len(self._faults) < before

    def clear(self) -> None:
        """Drop every fault."""
        self._faults.clear()

    def list(self) -> list[Fault]:
        """The scripted faults in checking order."""
        return list(self._faults)

    def decide(self, call: RecordedCall) -> Decision:
        """Latency faults add up; the first matching terminal fault wins. Exhausted ones stop."""
        if not self._faults:
            return NO_FAULT
        delay, chosen = 0.0, None
        for fault in self._faults:
            if fault.exhausted or not call_matches(call, fault.criteria):
                continue
            if fault.probability < 1.0 and self._rng.random() >= fault.probability:
                continue
            fault.fired += 1
            if fault.action == "latency":
                assert fault.latency is not None
                low, high = fault.latency
                delay += low if low == high else self._rng.uniform(low, high)
            elif fault.action in TERMINAL:
                chosen = fault
                break
        return Decision(delay, chosen)
