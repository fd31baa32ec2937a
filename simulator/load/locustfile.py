"""Locust file: signed Meta webhooks at a profile's rate; accounting when the run ends.

Standalone or distributed, the same file (``--host`` is the gateway's base URL)::

    locust -f simulator/load/locustfile.py --headless -u 8 -r 8 -t 60s --host http://127.0.0.1:8080 \\
        --metasim-profile "80 mps steady" --metasim-secret APP_SECRET \\
        --metasim-graph http://127.0.0.1:8089 --metasim-admin-token TOKEN
    # or: --master --expect-workers 2 (same flags) and, per worker, --worker -f the same file

Workers send what the gateway ACKed to the master at the end; the master (or the lone local
runner) waits for the box to settle, then prints and writes the exactly-once accounting.
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path
from typing import Any

import gevent
import httpx
from locust import FastHttpUser, events, task
from locust.env import Environment
from locust.runners import MasterRunner, WorkerRunner

from metasim.simulator.load.profiles import Profile, Webhook, WebhookFactory, get_profile
from metasim.simulator.load.report import (
    graph_calls,
    settle,
    status_webhooks,
    write_acks,
    write_report,
)

META_RETRIES = 3  # Meta retries a refused webhook; a load run tries 3 times, 0.5 s apart
ACKED: dict[str, str] = {}  # msg_id -> token, every tracked message the gateway answered 200
COUNTS: dict[str, int] = {"webhooks": 0, "untracked_acked": 0, "redeliveries": 0, "refused": 0}
REPORTS: list[int] = []  # one entry per worker report received (master)
STARTED: list[float] = []  # monotonic, then wall clock (the fake records wall-clock times)
SEEDS = iter(range(1, 1_000_000))


@events.init_command_line_parser.add_listener
def _options(parser: Any) -> None:
    env = os.environ.get
    parser.add_argument("--metasim-profile", default=env("METASIM_LOAD_PROFILE", "80 mps steady"))
    parser.add_argument("--metasim-secret", default=env("METASIM_LOAD_SECRET", ""))
    parser.add_argument("--metasim-graph", default=env("METASIM_LOAD_GRAPH", ""))
    parser.add_argument("--metasim-admin-token", default=env("METASIM_LOAD_ADMIN_TOKEN", ""))
    parser.add_argument(
        "--metasim-json", default=env("METASIM_LOAD_JSON", "reports/out/load-accounting.json")
    )
    parser.add_argument("--metasim-rate", type=float, default=float(env("METASIM_LOAD_RATE", "0")))
    parser.add_argument("--metasim-users", type=int, default=int(env("METASIM_LOAD_USERS", "0")))
    parser.add_argument(
        "--metasim-redelivery", type=float, default=float(env("METASIM_LOAD_REDELIVERY", "-1"))
    )
    parser.add_argument("--metasim-seed", type=int, default=int(env("METASIM_LOAD_SEED", "0")))


def _opts(environment: Environment) -> Any:
    if environment.parsed_options is None:
        raise RuntimeError("run this file through locust (its command line carries --metasim-*)")
    return environment.parsed_options


def _profile(environment: Environment) -> Profile:
    opts = _opts(environment)
    profile = get_profile(opts.metasim_profile)
    return profile.with_overrides(
        rate=opts.metasim_rate or None,
        users=opts.metasim_users or None,
        redelivery=opts.metasim_redelivery if opts.metasim_redelivery >= 0 else None,
    )


class MetaWebhooks(FastHttpUser):
    """One Meta delivery stream: paced so that all users together reach the profile's rate."""

    def on_start(self) -> None:
        opts = _opts(self.environment)
        if not opts.metasim_secret:
            raise ValueError(
                "--metasim-secret (or METASIM_LOAD_SECRET) is the gateway's app secret"
            )
        self.profile = _profile(self.environment)
        seed = opts.metasim_seed * 1000 + next(SEEDS) + os.getpid() % 1000 * 1000_000
        self.factory = WebhookFactory(self.profile, opts.metasim_secret, seed)
        self.rng = random.Random(seed)
        p = self.profile
        per_webhook = 1 + p.batch_share * (p.batch_size - 1)
        # each user paces at rate / profile.users, wherever it runs (local or on any worker):
        # run profile.users users in total to reach the profile's rate
        self.interval = p.users * per_webhook / p.rate
        self.next_at = time.monotonic() + self.rng.random() * self.interval
        self.redeliver: list[tuple[float, Webhook]] = []

    def wait_time(self) -> float:
        # fixed pacing (not think time): a slow ACK does not lower the offered rate
        self.next_at += self.interval
        return max(0.0, self.next_at - time.monotonic())

    def _post(self, hook: Webhook, name: str) -> bool:
        for attempt in range(META_RETRIES):
            with self.client.post(
                f"/webhook/{hook.channel}",
                data=hook.body,  # type: ignore[arg-type]  # bytes go out as is
                headers=hook.headers,
                name=name,
                catch_response=True,
            ) as r:
                if r.status_code == 200:
                    r.success()
                    return True
                r.failure(f"HTTP {r.status_code}")
            if attempt < META_RETRIES - 1:
                gevent.sleep(0.5)
        return False

    @task
    def deliver(self) -> None:
        now = time.monotonic()
        due = [h for t, h in self.redeliver if t <= now]
        self.redeliver = [(t, h) for t, h in self.redeliver if t > now]
        for hook in due:  # Meta sends the same bytes again: the gateway must not reply twice
            COUNTS["redeliveries"] += 1
            self._post(hook, "redelivery")
        hook = self.factory.next()
        COUNTS["webhooks"] += 1
        if not self._post(hook, "webhook"):
            COUNTS["refused"] += hook.size
            return
        ACKED.update(hook.tracked)
        COUNTS["untracked_acked"] += len(hook.untracked)
        if self.rng.random() < self.profile.redelivery:
            self.redeliver.append((now + self.rng.uniform(0.2, 3.0), hook))


@events.init.add_listener
def _init(environment: Environment, **_: Any) -> None:
    if isinstance(environment.runner, MasterRunner):

        def merge(msg: Any, **_: Any) -> None:
            ACKED.update(msg.data["acked"])
            for key, n in msg.data["counts"].items():
                COUNTS[key] += n
            REPORTS.append(1)

        environment.runner.register_message("metasim_acked", merge)


@events.test_start.add_listener
def _start(**_: Any) -> None:
    STARTED.extend((time.monotonic(), time.time()))


@events.test_stop.add_listener
def _stop(environment: Environment, **_: Any) -> None:
    if isinstance(environment.runner, WorkerRunner):
        environment.runner.send_message("metasim_acked", {"acked": ACKED, "counts": COUNTS})


@events.quitting.add_listener
def _quitting(environment: Environment, **_: Any) -> None:
    if isinstance(environment.runner, WorkerRunner) or not STARTED:
        return
    opts = _opts(environment)
    if not opts.metasim_graph:
        # a baseline run (a bare HMAC endpoint) or a gateway without the fake: ACKs only
        figures = ack_figures(environment, time.monotonic() - STARTED[0])
        print("no --metasim-graph: accounting skipped (needs the fake Graph and the admin API)")
        write_acks(figures, Path(opts.metasim_json))
        environment.process_exit_code = 0 if COUNTS["refused"] == 0 else 1
        return
    if isinstance(environment.runner, MasterRunner):
        deadline = time.monotonic() + 15
        while len(REPORTS) < environment.runner.worker_count and time.monotonic() < deadline:
            gevent.sleep(0.2)
    finish(environment, time.monotonic() - STARTED[0], STARTED[1])


def finish(environment: Environment, elapsed: float, wall_start: float) -> int:
    """Settle, account, print, write JSON; the process exit code (1 if anything lost / doubled)."""
    opts = _opts(environment)
    acks = ack_figures(environment, elapsed)
    acc, settled = settle(
        ACKED, opts.metasim_graph, environment.host or "", opts.metasim_admin_token
    )
    with httpx.Client(timeout=30) as http:
        statuses = status_webhooks(http, opts.metasim_graph)
        sends = [c for c in graph_calls(http, opts.metasim_graph, "send") if c["status"] == 200]
    # end-to-end throughput: accepted replies over the span from the first to the last one
    span = sends[-1]["time"] - sends[0]["time"] if len(sends) > 1 else 0.0
    extra = {
        **acks,
        "reply rate (accepted sends/s, first to last)": round(len(sends) / span, 1) if span else 0,
        "last reply after load start (s)": round(sends[-1]["time"] - wall_start, 1) if sends else 0,
        # non-text messages echo "[type]" or their caption: checked in aggregate, not one by one
        "non-text messages ACKed / replied": f"{COUNTS['untracked_acked']} / {acc.untracked_replies}",
        "status webhooks back (fan-out)": statuses,
        "settle": settled,
    }
    write_report(acc, extra, Path(opts.metasim_json))
    environment.process_exit_code = 0 if acc.ok else 1
    return environment.process_exit_code


def ack_figures(environment: Environment, elapsed: float) -> dict[str, Any]:
    """What the sender saw: rates, ACK latency, refusals (the part a baseline run has too)."""
    opts = _opts(environment)
    stats = environment.stats.get("webhook", "POST")
    messages = len(ACKED) + COUNTS["untracked_acked"]
    return {
        "profile": opts.metasim_profile,
        "target rate (messages/s)": _profile(environment).rate,
        "elapsed (s)": round(elapsed, 1),
        "webhooks POSTed (first delivery)": COUNTS["webhooks"],
        "redeliveries POSTed": COUNTS["redeliveries"],
        "messages ACKed (tracked + non-text)": f"{len(ACKED)} + {COUNTS['untracked_acked']}",
        "achieved rate (ACKed messages/s)": round(messages / elapsed, 1) if elapsed else 0,
        "ACK latency p50 (ms)": stats.get_response_time_percentile(0.5),
        "ACK latency p99 (ms)": stats.get_response_time_percentile(0.99),
        "webhooks refused after retries": COUNTS["refused"],
    }
