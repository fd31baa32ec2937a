"""End of a load run: read the black box over HTTP, wait for it to settle, print and save the table."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from metasim.simulator.load.accounting import Accounting, account

DLQ_PAGE = 1000  # the admin API lists at most this many dead letters


def graph_calls(
    http: httpx.Client, graph_url: str, kind: str | None = None
) -> list[dict[str, Any]]:
    """The fake Graph recorder's calls (``GET /__metasim/calls``), bodies included."""
    r = http.get(f"{graph_url}/__metasim/calls", params={"kind": kind} if kind else {})
    r.raise_for_status()
    calls: list[dict[str, Any]] = r.json()["calls"]
    return calls


def dead_letters(
    http: httpx.Client, gateway_url: str, admin_token: str, admin_root: str = ""
) -> list[dict[str, Any]]:
    """Every dead letter through the gateway's admin API (``GET {admin_root}/dlq``, by default
    ``{gateway_url}/admin/dlq``)."""
    r = http.get(
        f"{admin_root or gateway_url + '/admin'}/dlq",
        params={"limit": DLQ_PAGE},
        headers={"Authorization": f"Bearer {admin_token}"},
    )
    r.raise_for_status()
    data = r.json()
    items: list[dict[str, Any]] = data["items"]
    if data["depth"] > len(items):
        raise RuntimeError(
            f"the DLQ holds {data['depth']} items but the admin API lists {DLQ_PAGE} at most: "
            "lower the fault rates or the run length"
        )
    return items


def status_webhooks(http: httpx.Client, graph_url: str) -> dict[str, int]:
    """Status webhooks the fake POSTed back (``/__metasim/callbacks/sent``): per status kind, how
    many the gateway answered 200, and how many are still pending."""
    r = http.get(f"{graph_url}/__metasim/callbacks/sent")
    r.raise_for_status()
    data = r.json()
    out: dict[str, int] = {"webhooks": len(data["sent"]), "answered 200": 0, "pending": 0}
    for item in data["sent"]:
        for kind in item["kinds"]:
            out[kind] = out.get(kind, 0) + 1
        out["answered 200"] += 1 if item["status"] == 200 else 0
    out["pending"] = int(data["pending"])
    return out


def settle(
    acked: Mapping[str, str],
    graph_url: str,
    gateway_url: str,
    admin_token: str,
    timeout: float = 180.0,
    stall: float = 15.0,
    poll: float = 2.0,
    *,
    admin_root: str = "",
    unanswered: Mapping[str, str] | None = None,
) -> tuple[Accounting, str]:
    """Account once nothing is missing; while something is, keep waiting as long as the backlog
    moves (retries after Retry-After and backoff, a gateway catching up), at most ``timeout`` s.
    What is still missing after ``stall`` s without progress is lost; the second item says how
    the wait ended. Polls every ``poll`` s: the
    calls listing grows with the run and must not load the fake it is measuring. Without an
    ``admin_token`` the gateway has no dead-letter queue to read (a reply given up is lost).
    ``unanswered`` goes to :func:`account`."""

    def dlq(http: httpx.Client) -> list[dict[str, Any]]:
        if not admin_token:
            return []
        return dead_letters(http, gateway_url, admin_token, admin_root)

    deadline = time.monotonic() + timeout
    last: tuple[int, int] | None = None
    moved = time.monotonic()
    with httpx.Client(timeout=30) as http:
        while True:
            calls = graph_calls(http, graph_url, kind="send")
            dead = dlq(http)
            acc = account(acked, calls, dead, unanswered)
            now = time.monotonic()
            if (len(calls), len(dead)) != last:
                last, moved = (len(calls), len(dead)), now
            if not acc.lost:
                # a second look after a quiet poll catches doubles still in flight
                time.sleep(poll)
                calls = graph_calls(http, graph_url, kind="send")
                dead = dlq(http)
                return account(acked, calls, dead, unanswered), "complete"
            if now - moved >= stall:
                return acc, f"stalled: nothing moved for {stall:g} s"
            if now >= deadline:
                return acc, f"timed out after {timeout:g} s while replies were still arriving"

            time.sleep(poll)


def write_report(
    acc: Accounting,
    extra: Mapping[str, Any],
    json_path: Path,
    timeline: Mapping[str, list[float]] | None = None,
) -> dict[str, Any]:
    """Print the run figures and the table; write both (and the per-second ``timeline``) as
    JSON; return the JSON document."""
    doc = {"run": dict(extra), "accounting": acc.to_json(), "timeline": dict(timeline or {})}
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    width = max(len(k) for k in extra) if extra else 0
    for key, value in extra.items():
        print(f"{key:<{width}}  {value}")
    print(acc.table())
    print(f"accounting written to {json_path}")
    return doc


def write_acks(
    figures: Mapping[str, Any],
    json_path: Path,
    timeline: Mapping[str, list[float]] | None = None,
) -> dict[str, Any]:
    """A run without accounting (a baseline endpoint): print and write what the sender saw."""
    doc = {"run": dict(figures), "timeline": dict(timeline or {})}
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    width = max(len(k) for k in figures) if figures else 0
    for key, value in figures.items():
        print(f"{key:<{width}}  {value}")
    print(f"figures written to {json_path}")
    return doc
