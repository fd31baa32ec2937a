"""Who owns each call the fake Graph API sees: scenarios own their users, sends, faults, callbacks.

Every scenario builds samples with fresh user ids and claims them here. A send to one of those
users belongs to that scenario however late it comes; a send to nobody's user is stray traffic.
That makes three things possible that a per-scenario mark cannot do:

- a scenario counts only its own traffic, never a retry left over from an earlier one;
- traffic that comes after its scenario ended still counts against it (the late audit);
- a send caused by the fake's own status / receipt webhook is named a reply loop, and the
  webhooks for that user stop, so the loop does not flood the rest of the run.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from metasim.simulator.graph.errors import entry
from metasim.simulator.graph.recorder import RecordedCall

SELF_SENDS_CUT = 3  # sends to the business itself after which its webhooks stop
ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth")


def ordinal(n: int) -> str:
    """1 -> "first" ... past eight: "9th"."""
    return ORDINALS[n - 1] if 0 < n <= len(ORDINALS) else f"{n}th"


@dataclass(frozen=True, slots=True)
class Sighting:
    """A call and when (time.monotonic) the fake finished with it."""

    call: RecordedCall
    at: float

    @property
    def accepted(self) -> bool:
        """The fake answered 2xx."""
        return self.call.status is not None and 200 <= self.call.status < 300


@dataclass
class Budget:
    """What a scenario's check allowed: at most ``count`` sends (or accepted sends)."""

    what: str  # "sends" | "accepted"
    count: int
    check: str  # the step that set it, for the late finding's wording
    at: float  # when the check passed (time.monotonic)
    # attempts against a temporary fault: once the scenario is over, a dead letter may be
    # replayed (the backlog's scheduled DLQ handler), so only attempts up to its end count
    until_end: bool = False


@dataclass
class Loop:
    """A reply caused by the fake's webhook about the gateway's own earlier reply."""

    user: str
    chain: list[str]
    at: float

    def describe(self) -> str:
        """``reply loop with user U: reply #3 ... -> read webhook ... -> reply #5 ...``."""
        return f"reply loop with user {self.user}: " + ", then ".join(self.chain)


@dataclass
class ScenarioTraffic:
    """One scenario's users and what it checked, kept for the whole run."""

    nodeid: str
    title: str
    began: float
    users: set[str] = field(default_factory=set)
    # user -> ids of the answerable messages the scenario delivered to the gateway for that user
    answerable: dict[str, set[str]] = field(default_factory=dict)
    ended: float | None = None
    budgets: dict[str, Budget] = field(default_factory=dict)
    fault_ids: list[str] = field(default_factory=list)
    loops: list[Loop] = field(default_factory=list)
    hold_until: float = 0.0  # a Retry-After in force: the gateway is right to be quiet until then
    retryable_faults: bool = False  # it injected a temporary Graph failure
    last_delivery: float = 0.0  # time.monotonic() of its latest delivery to the gateway
    # sends addressed to the business itself (a reply to an echo) while this scenario was the
    # last to deliver an event sent by that business id: its echo, so its send
    self_sent: list[Sighting] = field(default_factory=list)
    # every send to its users, as the fake finished them: read on every poll of a reply wait,
    # so kept here rather than gathered from each user's history (1000 users in a batch)
    seen: list[Sighting] = field(default_factory=list)


@dataclass(frozen=True)
class LateFinding:
    """A scenario's check broken by traffic that came after the check passed."""

    nodeid: str
    title: str
    message: str


class Ledger:
    """Attributes the fake Graph API's calls to scenarios as they happen (a recorder listener)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._owner: dict[str, ScenarioTraffic] = {}
        self._sends: dict[str, list[Sighting]] = {}
        # business id -> the scenario that last delivered an event sent by it (an echo)
        self._echo_owner: dict[str, ScenarioTraffic] = {}
        self.scenarios: list[ScenarioTraffic] = []
        self.stray: list[Sighting] = []
        self.loops: list[tuple[ScenarioTraffic | None, Loop]] = []
        self.muted: set[str] = set()
        self.last_activity = time.monotonic()
        self.calls_seen = 0
        app.recorder.listeners.append(self.on_call)
        app.callbacks.settings.mute = self.is_muted

    # -- scenarios ------------------------------------------------------------------------
    def begin(self, nodeid: str, title: str = "") -> ScenarioTraffic:
        """A scenario starts: it owns nothing yet."""
        traffic = ScenarioTraffic(nodeid, title or nodeid, time.monotonic())
        with self._lock:
            self.scenarios.append(traffic)
        return traffic

    def claim(self, traffic: ScenarioTraffic, users: Iterable[str]) -> list[str]:
        """Give ``users`` to ``traffic``; returns the ids another scenario already owned."""
        taken = []
        with self._lock:
            for user in users:
                if not user:
                    continue
                owner = self._owner.get(user)
                if owner is not None and owner is not traffic:
                    taken.append(user)  # a hard-coded id shared by two scenarios: keep the first
                    continue
                self._owner[user] = traffic
                traffic.users.add(user)
        return taken

    def claim_echoes(self, traffic: ScenarioTraffic, business_ids: Iterable[str]) -> None:
        """The scenario delivers events sent by these business ids (echoes): a send back to one
        of them, until another scenario does the same, is this scenario's."""
        with self._lock:
            for business in business_ids:
                self._echo_owner[business] = traffic

    def expect_answers(self, traffic: ScenarioTraffic, user: str, msg_id: str) -> None:
        """The scenario delivered a message of ``user`` the gateway should answer."""
        with self._lock:
            traffic.answerable.setdefault(user, set()).add(msg_id)

    def end(self, traffic: ScenarioTraffic) -> None:
        """The scenario's steps are over; its traffic is still watched."""
        traffic.ended = time.monotonic()

    def owner(self, user: str | None) -> ScenarioTraffic | None:
        """The scenario that owns ``user``."""
        with self._lock:
            return self._owner.get(user or "")

    def is_muted(self, user: str) -> bool:
        """True once a reply loop with ``user`` was cut (no more webhooks for that user)."""
        return user in self.muted

    # -- traffic --------------------------------------------------------------------------
    def on_call(self, call: RecordedCall) -> None:
        """Recorder listener: runs on the fake's event loop for every finished call."""
        now = time.monotonic()
        with self._lock:
            self.last_activity = now
            self.calls_seen += 1
            if call.kind != "send":
                return
            user = call.recipient or ""
            sighting = Sighting(call, now)
            owner = self._owner.get(user)
            if owner is None and user in self._echo_owner:
                echo_owner = self._echo_owner[user]
                echo_owner.self_sent.append(sighting)
                if len(echo_owner.self_sent) > SELF_SENDS_CUT:
                    self.muted.add(user)  # a gateway talking to itself: stop feeding it
                return
            if owner is None:
                self.stray.append(sighting)
                return
            history = self._sends.setdefault(user, [])
            history.append(sighting)
            owner.seen.append(sighting)
            retry_after = self._retry_after(call)
            if retry_after:
                owner.hold_until = max(owner.hold_until, now + retry_after)
            loop = self._loop(owner, user, history)
            if loop is not None:
                owner.loops.append(loop)
                self.loops.append((owner, loop))
                self.muted.add(user)

    def _loop(self, owner: ScenarioTraffic, user: str, history: list[Sighting]) -> Loop | None:
        """A loop: every message of ``user`` was answered, a webhook about a reply came, and
        then the gateway sent again."""
        if user in self.muted or len(history) < 2:
            return None
        latest = history[-1]
        answered = [s for s in history[:-1] if s.accepted]
        if len(answered) < len(owner.answerable.get(user, ())) or not answered:
            return None
        # a webhook that started after the scenario's last delivery: a send after it answers
        # no delivery (one before it could be a redelivery answered twice, which is no loop)
        hooks = [
            h
            for h in list(self.app.callbacks.started)
            if h[0] == user and owner.last_delivery < h[3] < latest.at
        ]
        if not hooks:
            return None
        _, message_id, kinds, started = hooks[-1]
        cause = next((s for s in answered if _message_id(s.call) == message_id), answered[-1])
        chain = [
            _describe_send(cause, "reply"),
            f"{'/'.join(kinds)} webhook for {message_id} sent to the gateway "
            f"{latest.at - started:.2f} s before",
            _describe_send(latest, "reply"),
        ]
        return Loop(user, chain, latest.at)

    def _retry_after(self, call: RecordedCall) -> float:
        """The Retry-After the fault that answered ``call`` carried (0 if none)."""
        if not call.fault:
            return 0.0
        fault = next((f for f in self.app.faults.list() if f.id == call.fault), None)
        if fault is None:
            return 0.0
        if fault.retry_after is None and fault.code and self.app.config.retry_after_header:
            return float(entry(fault.code).retry_after or 0)  # the catalogue's default header
        return float(fault.retry_after or 0)

    def sends(self, traffic: ScenarioTraffic) -> list[RecordedCall]:
        """Every send to the scenario's users so far, in arrival order."""
        return [s.call for s in self.sightings(traffic)]

    def sightings(self, traffic: ScenarioTraffic) -> list[Sighting]:
        """The scenario's sends with the time each was seen."""
        with self._lock:
            found = traffic.seen + traffic.self_sent
        return sorted(found, key=_arrival)

    def callbacks(self, traffic: ScenarioTraffic) -> list[Any]:
        """The status / receipt webhooks the fake sent back about the scenario's sends."""
        return [w for w in list(self.app.callbacks.sent) if w.user in traffic.users]

    # -- checks ---------------------------------------------------------------------------
    def allow(self, traffic: ScenarioTraffic, what: str, count: int, check: str) -> None:
        """A check passed with at most ``count`` sends (or accepted sends): remember it."""
        until_end = what == "sends" and traffic.retryable_faults
        traffic.budgets[what] = Budget(what, count, check, time.monotonic(), until_end)

    def audit(self) -> list[LateFinding]:
        """Every check broken by traffic that came after it passed, with the timing."""
        findings = []
        for traffic in list(self.scenarios):
            seen = self.sightings(traffic)
            for budget in traffic.budgets.values():
                pool = [s for s in seen if s.accepted] if budget.what == "accepted" else seen
                if budget.until_end and traffic.ended is not None:
                    pool = [s for s in pool if s.at <= traffic.ended]
                if len(pool) <= budget.count:
                    continue
                extra = pool[budget.count]
                findings.append(
                    LateFinding(
                        traffic.nodeid, traffic.title, _late(traffic, budget, extra, len(pool))
                    )
                )
        return findings

    def quiet_for(self) -> float:
        """Seconds since the fake Graph API last finished a call of any kind."""
        return time.monotonic() - self.last_activity


def _arrival(sighting: Sighting) -> int:
    """Sort key: the order the fake Graph API received the calls in."""
    return sighting.call.seq


def describe_sighting(sighting: Sighting) -> dict[str, Any]:
    """A JSON-ready line for the report: where the send went and what the fake answered."""
    call = sighting.call
    return {
        "path": call.path,
        "recipient": call.recipient,
        "status": call.status,
        "type": call.type,
    }


def _late(traffic: ScenarioTraffic, budget: Budget, extra: Sighting, total: int) -> str:
    noun = "accepted send" if budget.what == "accepted" else "send"
    if traffic.ended is not None and extra.at >= traffic.ended:
        when = f"{extra.at - traffic.ended:.1f} s after the scenario ended"
    else:
        when = f"{extra.at - budget.at:.1f} s after the check passed"
    loops = [loop.describe() for loop in traffic.loops]
    return (
        f"late traffic: a {ordinal(budget.count + 1)} {noun} {when} "
        f"({_describe_send(extra, noun)}); the check '{budget.check}' allowed "
        f"{budget.count}, {total} arrived in all" + (f"; {'; '.join(loops)}" if loops else "")
    )


def _describe_send(sighting: Sighting, noun: str) -> str:
    call = sighting.call
    text = _text(call.body)
    shown = f" {text!r}" if text is not None else ""
    return f"{noun} #{call.seq} to {call.recipient} {call.type or ''}{shown} answered {call.status}"


def _text(body: Any) -> str | None:
    if not isinstance(body, dict):
        return None
    if isinstance(body.get("text"), dict):
        return body["text"].get("body")
    message = body.get("message")
    return message.get("text") if isinstance(message, dict) else None


def _message_id(call: RecordedCall) -> str | None:
    """The wamid / mid the fake issued for an accepted send."""
    answer = call.response
    if not isinstance(answer, dict):
        return None
    if isinstance(answer.get("messages"), list) and answer["messages"]:
        return str(answer["messages"][0].get("id"))
    mid = answer.get("message_id")
    return str(mid) if mid else None
