"""End of a Locust load run: what the senders saw, the settled accounting, JSON and HTML."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from metasim.simulator.load import meta_side as meta
from metasim.simulator.load.meta_side import MetaTiming, Tally, percentile
from metasim.simulator.load.profiles import Profile
from metasim.simulator.load.report import (
    graph_calls,
    settle,
    status_webhooks,
    write_acks,
    write_report,
)
from metasim.simulator.load.series import timeline, write_html


@dataclass
class Sent:
    """Everything the senders (the lone runner, or every worker merged) saw."""

    acked: Mapping[str, str]
    unanswered: Mapping[str, str]
    ack_at: Mapping[str, float]
    counts: Mapping[str, int]
    tally: Tally
    wall_start: float


def figures(opts: Any, profile: Profile, timing: MetaTiming, sent: Sent) -> dict[str, Any]:
    """What the sender saw: rates, ACK latency, Meta's side of each delivery."""
    tally = sent.tally
    # over the span webhooks were sent in (first to last), not the settle time after it
    span = round(tally.span, 2)
    lats = tally.latencies()
    messages = len(sent.acked) + sent.counts["untracked_acked"]
    return {
        "profile": opts.metasim_profile,
        **({"label": opts.metasim_label} if opts.metasim_label else {}),
        "target rate (messages/s)": profile.rate,
        "channels": ", ".join(profile.channels),
        "Meta's timeout (s)": dict(timing.timeouts),
        "Meta's retry waits (s)": [round(w, 3) for w in timing.waits],
        "send span (s)": span,
        "webhooks POSTed (first delivery)": sent.counts["webhooks"],
        "redeliveries POSTed": sent.counts["redeliveries"],
        "messages ACKed (tracked + non-text)": f"{len(sent.acked)} + {sent.counts['untracked_acked']}",
        "achieved rate (ACKed messages/s)": round(messages / span, 1) if span else 0,
        "ACK latency p50 (ms)": percentile(lats, 0.50),
        "ACK latency p95 (ms)": percentile(lats, 0.95),
        "ACK latency p99 (ms)": percentile(lats, 0.99),
        "ACK latency max (ms)": max(lats, default=0),
        "webhook outcomes": {k: tally.outcomes.get(k, 0) for k in meta.OUTCOMES},
        "POSTs": {k: tally.attempts.get(k, 0) for k in meta.ATTEMPTS},
        "messages never answered 200": sent.counts["refused"],
    }


def finish(opts: Any, host: str, profile: Profile, timing: MetaTiming, sent: Sent) -> int:
    """Settle, account, print, write JSON and HTML; the exit code (1 if lost / doubled / never
    answered)."""
    json_path = Path(opts.metasim_json)
    html_path = json_path.with_suffix(".html")
    run = figures(opts, profile, timing, sent)
    if not opts.metasim_graph:
        # a baseline run (a bare HMAC endpoint) or a gateway without the fake: ACKs only
        print("no --metasim-graph: accounting skipped (needs the fake Graph)")
        line = timeline(sent.tally, sent.acked, sent.ack_at, [])
        doc = write_acks(run, json_path, line)
        write_html(doc, line, html_path)
        return 0 if sent.counts["refused"] == 0 else 1
    acc, settled = settle(
        sent.acked,
        opts.metasim_graph,
        host,
        opts.metasim_admin_token,
        timeout=opts.metasim_settle,
        admin_root=opts.metasim_admin,
        unanswered=sent.unanswered,
    )
    with httpx.Client(timeout=30) as http:
        statuses = status_webhooks(http, opts.metasim_graph)
        sends = [c for c in graph_calls(http, opts.metasim_graph, "send") if c["status"] == 200]
    # end-to-end throughput: accepted replies over the span from the first to the last one
    span = sends[-1]["time"] - sends[0]["time"] if len(sends) > 1 else 0.0
    run.update(
        {
            "reply rate (accepted sends/s, first to last)": round(len(sends) / span, 1)
            if span
            else 0,
            "last reply after load start (s)": round(sends[-1]["time"] - sent.wall_start, 1)
            if sends
            else 0,
            # non-text messages echo "[type]" or their caption: checked in aggregate only
            "non-text messages ACKed / replied": f"{sent.counts['untracked_acked']} / "
            f"{acc.untracked_replies}",
            "status webhooks back (fan-out)": statuses,
            "settle": settled,
        }
    )
    line = timeline(sent.tally, sent.acked, sent.ack_at, sends)
    doc = write_report(acc, run, json_path, line)
    write_html(doc, line, html_path)
    missed = sent.tally.outcomes.get(meta.LATE, 0) + sent.tally.outcomes.get(meta.NEVER, 0)
    if missed:
        print(f"Meta's side: FAILED, {missed} webhook(s) never ACKed within Meta's timeout")
    return 0 if acc.ok and not missed else 1
