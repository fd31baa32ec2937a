"""Every call the fake saw, in order, queryable; plus respx-style expectations (strict mode)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from metasim.simulator.graph.tokens import mask

SECRET_HEADERS = frozenset({"authorization", "cookie", "x-hub-signature-256", "x-hub-signature"})
# criteria a call filter, a fault or an expectation may name (closed vocabulary)
CRITERIA = ("channel", "tenant", "recipient", "type", "kind", "method", "path", "body")


@dataclass(slots=True)
class RecordedCall:
    """One request (secrets masked) and the answer the fake gave."""

    seq: int
    time: float
    method: str
    host: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any = None
    channel: str | None = None  # wa | msg | ig
    kind: str | None = None  # send | mark_read | media_upload | media_get | ... | unknown
    tenant: str | None = None
    recipient: str | None = None
    type: str | None = None  # message type: text, template, image, ... or a sender_action
    status: int | None = None  # None: no answer (reset or timeout fault)
    response: Any = None
    fault: str | None = None
    unexpected: bool = False

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view for the HTTP control API."""
        return {name: getattr(self, name) for name in self.__slots__}


def masked_headers(raw: Mapping[str, str]) -> dict[str, str]:
    """Header copy with secrets shortened (``Bearer EAAG...(180 chars)``)."""
    out = {}
    for name, value in raw.items():
        if name in SECRET_HEADERS:
            scheme, _, rest = value.partition(" ")
            value = f"{scheme} {mask(rest)}" if rest else mask(value)
        out[name] = value
    return out


def masked_query(raw: Mapping[str, str]) -> dict[str, str]:
    """Query copy with ``access_token`` shortened."""
    return {k: (mask(v) if k == "access_token" else v) for k, v in raw.items()}


def _subset(expected: Any, actual: Any) -> bool:
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            k in actual and _subset(v, actual[k]) for k, v in expected.items()
        )
    return bool(expected == actual)


def check_criteria(criteria: Mapping[str, Any]) -> None:
    """Raise ValueError naming any criterion outside :data:`CRITERIA`."""
    unknown = sorted(set(criteria) - set(CRITERIA))
    if unknown:
        raise ValueError(f"unknown call criteria {unknown}; allowed: {', '.join(CRITERIA)}")


# a criterion given as a collection matches any of its members: a fault scoped to a scenario's
# users is ``recipient={users}``, and the set may grow after the fault was scripted
MEMBERSHIP = (set, frozenset, list, tuple)


def call_matches(call: RecordedCall, criteria: Mapping[str, Any]) -> bool:
    """True if ``call`` meets every criterion (``path`` a regex, ``body`` a subset, a list any of)."""
    for name, wanted in criteria.items():
        if wanted is None:
            continue
        if isinstance(wanted, MEMBERSHIP) and name != "body":
            if getattr(call, name) not in wanted:
                return False
        elif name == "path":
            if not re.search(wanted, call.path):
                return False
        elif name == "body":
            if not _subset(wanted, call.body):
                return False
        elif name == "method":
            if call.method != str(wanted).upper():
                return False
        elif getattr(call, name) != wanted:
            return False
    return True


@dataclass
class Expectation:
    """Calls matching ``criteria`` must happen exactly ``times`` times."""

    criteria: dict[str, Any]
    times: int = 1
    seen: int = 0

    def describe(self) -> str:
        """``{'channel': 'wa', 'type': 'text'} x1 (seen 0)``."""
        return f"{self.criteria} x{self.times} (seen {self.seen})"


@dataclass
class Expectations:
    """Strict mode: a call no expectation allows is refused; unmet expectations fail at the end.

    Use as a context manager (``with app.recorder.expect() as exp: exp.call(type="text")``);
    leaving it runs :meth:`assert_all_called`, like respx's router.
    """

    recorder: Recorder
    items: list[Expectation] = field(default_factory=list)
    unexpected: list[RecordedCall] = field(default_factory=list)

    def call(self, *, times: int = 1, **criteria: Any) -> Expectations:
        """Expect ``times`` calls matching ``criteria`` (see :data:`CRITERIA`)."""
        check_criteria(criteria)
        if times < 0:
            raise ValueError(f"times must be >= 0, got {times}")
        self.items.append(Expectation(dict(criteria), times))
        return self

    def admit(self, call: RecordedCall) -> bool:
        """Count ``call`` against the first expectation with room left; False if none has."""
        for item in self.items:
            if item.seen < item.times and call_matches(call, item.criteria):
                item.seen += 1
                return True
        self.unexpected.append(call)
        return False

    def problems(self) -> list[str]:
        """Human-readable list of unexpected calls and unmet expectations (empty when fine)."""
        found = [
            f"unexpected call #{c.seq}: {c.method} {c.path} channel={c.channel} "
            f"recipient={c.recipient} type={c.type}"
            for c in self.unexpected
        ]
        found += [
            f"expected call never made: {i.describe()}" for i in self.items if i.seen < i.times
        ]
        return found

    def assert_all_called(self) -> None:
        """Raise AssertionError listing every problem."""
        problems = self.problems()
        if problems:
            raise AssertionError("fake Graph API expectations failed:\n  " + "\n  ".join(problems))

    def __enter__(self) -> Expectations:
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self.recorder.expectations = None
        if exc_type is None:
            self.assert_all_called()


class Recorder:
    """The ordered log of calls; filter with :meth:`calls`, expectations with :meth:`expect`."""

    def __init__(self) -> None:
        self._calls: list[RecordedCall] = []
        self._seq = 0
        self.expectations: Expectations | None = None
        # called with each call once it is answered (or dropped): observers such as the
        # acceptance harness's traffic ledger attribute calls as they happen, without polling
        self.listeners: list[Callable[[RecordedCall], None]] = []
        # calls being answered right now: a busy fake is not a quiet gateway (an observer that
        # waits for silence must not take the fake's own slowness for the gateway's)
        self.in_flight = 0

    def new_call(self, **fields: Any) -> RecordedCall:
        """Start the record of an incoming request (its answer is filled in later)."""
        self._seq += 1
        call = RecordedCall(seq=self._seq, **fields)
        self._calls.append(call)
        self.in_flight += 1
        return call

    def finish(self, call: RecordedCall) -> None:
        """The fake is done with ``call`` (answered or dropped): tell the listeners."""
        self.in_flight -= 1
        for listener in self.listeners:
            listener(call)

    def calls(self, **criteria: Any) -> list[RecordedCall]:
        """Calls in arrival order, those matching ``criteria`` only (e.g. ``channel="wa"``)."""
        check_criteria(criteria)
        return [c for c in self._calls if call_matches(c, criteria)]

    def count(self, **criteria: Any) -> int:
        """How many calls match ``criteria``."""
        return len(self.calls(**criteria))

    @property
    def last(self) -> RecordedCall:
        """The latest call; AssertionError if none was made."""
        if not self._calls:
            raise AssertionError("the fake Graph API has recorded no call")
        return self._calls[-1]

    def reset(self) -> None:
        """Forget every call (sequence numbers continue)."""
        self._calls.clear()

    def expect(self) -> Expectations:
        """Enter expectation mode; returns the set to fill with :meth:`Expectations.call`."""
        self.expectations = Expectations(self)
        return self.expectations

    def __len__(self) -> int:
        return len(self._calls)

    def __iter__(self) -> Iterator[RecordedCall]:
        return iter(list(self._calls))
