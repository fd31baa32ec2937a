"""Exactly-once accounting from the black box: fake Graph sends + the gateway's dead letters."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# Graph routes that carry a reply; mark-as-read, sender actions and media calls are not replies.
REPLY_KIND = "send"
# the DLQ reasons of a send that may have reached Graph (gateway/outbound/): an item found
# inflight after a crash, and a send whose answer was lost (read timeout, reset after sending)
AMBIGUOUS = frozenset({"inflight-at-crash", "ambiguous"})
# every load token starts so (a reply carrying one that was never ACKed is told apart)
TOKEN_PREFIX = "mload-"


def reply_text(body: Any) -> str | None:
    """The text a send body carries: WhatsApp ``text.body``, Messenger / Instagram ``message.text``.

    A body the gateway sent as raw bytes (or a recorder that kept it as a string) is parsed first.
    """
    if isinstance(body, (str, bytes)):
        try:
            body = json.loads(body)
        except ValueError:
            return None
    if not isinstance(body, Mapping):
        return None
    text = body.get("text")
    if isinstance(text, Mapping) and isinstance(text.get("body"), str):
        return str(text["body"])
    message = body.get("message")
    if isinstance(message, Mapping) and isinstance(message.get("text"), str):
        return str(message["text"])
    return None


def _token_in(text: str | None, by_token: Mapping[str, str]) -> str | None:
    """The load token a reply text carries: the whole text, or one of its words (echo replies)."""
    if text is None:
        return None
    if text in by_token:
        return text
    for word in text.split():
        if word in by_token:
            return word
    return None


def _succeeded(call: Mapping[str, Any]) -> bool:
    """A send the fake accepted (2xx). Faulted calls (5xx, 130429, no answer) delivered nothing."""
    status = call.get("status")
    return isinstance(status, int) and 200 <= status < 300


@dataclass
class Accounting:
    """Per ACKed inbound message: replied once, dead-lettered (with reason), lost, or doubled."""

    total: int
    replied_once: list[str] = field(default_factory=list)
    dead_lettered: dict[str, str] = field(default_factory=dict)  # msg_id -> DLQ reason
    lost: list[str] = field(default_factory=list)
    doubled: dict[str, str] = field(default_factory=dict)  # msg_id -> what was doubled
    refused_calls: int = 0  # send attempts the fake failed on purpose (faults): retried, not lost
    unacked_replies: int = 0  # replies to messages never ACKed (Meta would redeliver them)
    untracked_replies: int = 0  # accepted sends carrying no load token
    # messages Meta never got a 200 for (it would keep retrying): replied or not, told apart
    never_answered: int = 0
    never_answered_replied: int = 0

    @property
    def ok(self) -> bool:
        """Exactly once: nothing lost, nothing doubled."""
        return not self.lost and not self.doubled

    def reasons(self) -> dict[str, int]:
        """How many dead letters per reason."""
        return dict(Counter(self.dead_lettered.values()))

    def rows(self) -> list[tuple[str, int]]:
        """The table's rows, in reading order."""
        return [
            ("ACKed inbound messages", self.total),
            ("replied exactly once", len(self.replied_once)),
            ("dead-lettered (with reason)", len(self.dead_lettered)),
            *((f"  reason: {r}", n) for r, n in sorted(self.reasons().items())),
            ("LOST (no reply, not in DLQ)", len(self.lost)),
            ("DOUBLED (2+ replies or reply + DLQ)", len(self.doubled)),
            ("send attempts refused by faults", self.refused_calls),
            ("replies to never-ACKed messages", self.unacked_replies),
            ("accepted sends without a load token", self.untracked_replies),
            ("never answered 200 (Meta still retrying)", self.never_answered),
            ("  of which replied anyway", self.never_answered_replied),
        ]

    def table(self) -> str:
        """A plain-text table, then the verdict and a few example ids of any lost / doubled."""
        width = max(len(label) for label, _ in self.rows())
        lines = [f"{'exactly-once accounting':<{width}}  count", "-" * (width + 8)]
        lines += [f"{label:<{width}}  {n:>5}" for label, n in self.rows()]
        lines.append("-" * (width + 8))
        lines.append("verdict: " + ("OK (zero lost, zero doubled)" if self.ok else "FAILED"))
        if self.lost:
            lines.append("lost (first 10): " + ", ".join(self.lost[:10]))
        if self.doubled:
            first = list(self.doubled.items())[:10]
            lines.append("doubled (first 10): " + ", ".join(f"{k} ({v})" for k, v in first))
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        """Everything, JSON-ready (counts plus the ids behind each non-trivial outcome)."""
        return {
            "ok": self.ok,
            "total": self.total,
            "replied_once": len(self.replied_once),
            "dead_lettered": len(self.dead_lettered),
            "dead_letter_reasons": self.reasons(),
            "lost": len(self.lost),
            "doubled": len(self.doubled),
            "refused_calls": self.refused_calls,
            "unacked_replies": self.unacked_replies,
            "untracked_replies": self.untracked_replies,
            "never_answered": self.never_answered,
            "never_answered_replied": self.never_answered_replied,
            "lost_ids": self.lost,
            "doubled_ids": self.doubled,
            "dead_letter_ids": self.dead_lettered,
        }


def account(
    acked: Mapping[str, str],
    graph_calls: Sequence[Mapping[str, Any]],
    dead_letters: Sequence[Mapping[str, Any]],
    unanswered: Mapping[str, str] | None = None,
) -> Accounting:
    """Match every ACKed inbound message (msg_id -> unique token in its text) to what left the box.

    ``graph_calls`` are the fake Graph recorder's calls (``RecordedCall.to_dict()`` or
    ``GET /__metasim/calls`` items); ``dead_letters`` the gateway's ``GET /admin/dlq`` items. A
    dead letter is tied to its inbound message by ``msg_id``, else by the token in its body.
    ``unanswered`` (msg_id -> token) are messages never answered 200: not owed a reply yet (Meta
    would still be retrying), yet one reply at most; two are a double.
    """
    unanswered = unanswered or {}
    by_token = {token: msg_id for msg_id, token in acked.items()}
    if len(by_token) != len(acked):
        raise ValueError("acked tokens must be unique: two inbound messages share a token")
    pending = {token: msg_id for msg_id, token in unanswered.items()}
    replies: Counter[str] = Counter()
    late: Counter[str] = Counter()
    acc = Accounting(total=len(acked), never_answered=len(unanswered))
    for call in graph_calls:
        if call.get("kind") != REPLY_KIND:
            continue
        if not _succeeded(call):
            acc.refused_calls += 1
            continue
        text = reply_text(call.get("body"))
        token = _token_in(text, by_token)
        if token is not None:
            replies[by_token[token]] += 1
        elif (found := _token_in(text, pending)) is not None:
            late[pending[found]] += 1
        elif text is not None and text.startswith(TOKEN_PREFIX):
            acc.unacked_replies += 1
        else:
            acc.untracked_replies += 1
    dead: defaultdict[str, list[str]] = defaultdict(list)
    for item in dead_letters:
        msg_id = item.get("msg_id")
        if msg_id not in acked:
            token = _token_in(reply_text(item.get("body")), by_token)
            msg_id = by_token[token] if token is not None else None
        if msg_id is not None:
            dead[str(msg_id)].append(str(item.get("reason") or "unknown"))
    for msg_id in acked:
        n, reasons = replies[msg_id], dead.get(msg_id, [])
        if n == 1 and not reasons:
            acc.replied_once.append(msg_id)
        elif n == 0 and len(reasons) == 1:
            acc.dead_lettered[msg_id] = reasons[0]
        elif n == 1 and len(reasons) == 1 and reasons[0] in AMBIGUOUS:
            # killed mid-send or the answer lost: the reply may have left, so the gateway parks
            # the item for a human instead of sending again; one reply + that dead letter is
            # not a double
            acc.dead_lettered[msg_id] = reasons[0]
        elif n == 0 and not reasons:
            acc.lost.append(msg_id)
        else:
            acc.doubled[msg_id] = f"{n} replies, {len(reasons)} dead letters"
    for msg_id, n in late.items():
        if n == 1:
            acc.never_answered_replied += 1
        else:
            acc.doubled[msg_id] = f"{n} replies, never answered 200"
    return acc
