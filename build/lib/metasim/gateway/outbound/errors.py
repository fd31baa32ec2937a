"""Graph API answers classified retryable or permanent (docs/meta-contract.md §h table)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Codes worth retrying with backoff: temporary outages and rate limits (§h "retry?" column).
RETRYABLE = frozenset({2, 4, 17, 32, 613, 80007, 130429, 131000, 131016, 131056})
# "API Unknown": an invalid request or a server error, Meta cannot tell; one retry settles it.
MAYBE_ONCE = 1
# Spam rate limit (quality): retry, but slowly; a tight loop makes the number's quality worse.
SLOW = 131048
SLOW_DELAY_SECONDS = 60.0
# Pair rate limit: about one message per 6 s to the same user (§i).
PAIR_DELAY_SECONDS = 6.0
# Every other code is permanent: 0, 3, 10, 100, 190, 200-299, 368, 131026, 131047, 131049,
# 131051, 132xxx, 551, subcodes 2018001 / 2018278, and any code Meta adds that we do not know
# (retrying an unknown error blindly could send a duplicate or hammer a broken request).


# the dead-letter reason of a send that may or may not have reached Graph
AMBIGUOUS = "ambiguous"


@dataclass(frozen=True)
class Verdict:
    """What to do with a failed send: retry (no sooner than ``min_delay``) or dead-letter."""

    retryable: bool
    reason: str  # short, stable, for logs and the DLQ: "graph-131016", "http-503", "timeout"
    min_delay: float = 0.0


def graph_error(body: Any) -> tuple[int | None, int | None, str]:
    """(code, subcode, message) of a Graph error body, Nones when it is not one."""
    err = body.get("error") if isinstance(body, dict) else None
    if not isinstance(err, dict):
        return None, None, ""
    code, sub = err.get("code"), err.get("error_subcode")
    return (
        code if isinstance(code, int) else None,
        sub if isinstance(sub, int) else None,
        str(err.get("message") or ""),
    )


def classify(status: int, body: Any, attempts: int) -> Verdict:
    """The verdict for one failed answer (``status`` 0 = no HTTP answer at all).

    Meta asks to branch on the Graph ``code`` rather than the HTTP status (the status of
    rate-limit codes changed from 429 to 400 across doc versions), so the code decides when
    there is one; the status only decides for bodies without a Graph error.
    """
    code, sub, _ = graph_error(body)
    if code is not None:
        reason = f"graph-{code}" + (f"/{sub}" if sub else "")
        if code in RETRYABLE:
            delay = PAIR_DELAY_SECONDS if code == 131056 else 0.0
            return Verdict(True, reason, delay)
        if code == SLOW:
            return Verdict(True, reason, SLOW_DELAY_SECONDS)
        if code == MAYBE_ONCE:
            return Verdict(attempts < 2, reason)
        return Verdict(False, reason)
    if status == 0:
        return Verdict(False, AMBIGUOUS)  # no HTTP answer, no transport kind: assume it left
    if status >= 500 or status in (408, 429):
        return Verdict(True, f"http-{status}")
    return Verdict(False, f"http-{status}")


def transport(kind: str) -> Verdict:
    """A send that got no HTTP answer.

    "connect": the request never left (refused, DNS, connect timeout): retryable.
    Anything else ("ambiguous": a read timeout, a reset or close after the request left) may
    have been accepted by Graph, which has no idempotency key: sending again could deliver a
    second reply. It is dead-lettered with reason ``ambiguous``, not replayable by the
    schedule, exactly like an item found inflight after a crash; an operator who has checked
    the conversation replays it with ``force`` (docs/RUNBOOK.md).
    """
    if kind == "connect":
        return Verdict(True, "connect")
    return Verdict(False, AMBIGUOUS)
