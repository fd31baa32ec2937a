"""Locust file: signed Meta webhooks at a profile's rate, as Meta delivers them; accounting at the end.

Standalone or distributed, the same file (``--host`` is the gateway's base URL)::

    locust -f simulator/load/locustfile.py --headless -u 8 -r 8 -t 60s --host http://127.0.0.1:8080 \\
        --metasim-profile "80 mps steady" --metasim-secret APP_SECRET \\
        --metasim-graph http://127.0.0.1:8089 --metasim-admin-token TOKEN
    # or: --master --expect-workers 2 (same flags) and, per worker, --worker -f the same file
    # (or --processes N: Locust forks N workers under this master on one host)

Every webhook is POSTed on its own greenlet (Meta does not wait for one answer before sending
the next); an answer slower than Meta's timeout is a failure, and the webhook goes again after
Meta's back-off (metasim.simulator.load.meta_side). Workers send what they saw to the master at
the end; the master (or the lone local runner) waits for the box to settle, then prints and
writes the exactly-once accounting, its JSON and an HTML report.
"""

from __future__ import annotations

import json
import os
import random
import time
from typing import Any

import gevent
from gevent.pool import Pool
from locust import User, events, task
from locust.env import Environment
from locust.runners import MasterRunner, WorkerRunner

from metasim.simulator.context import Tenant
from metasim.simulator.load import meta_side as meta
from metasim.simulator.load.meta_side import MetaTiming, Tally
from metasim.simulator.load.profiles import Profile, Webhook, WebhookFactory, get_profile
from metasim.simulator.load.sender import Sender

ACKED: dict[str, str] = {}  # msg_id -> token, every tracked message the gateway answered 200
UNANSWERED: dict[str, str] = {}  # msg_id -> token, tracked messages never answered 200
ACK_AT: dict[str, float] = {}  # msg_id -> wall clock of its first 200 (the backlog plot)
COUNTS: dict[str, int] = {"webhooks": 0, "untracked_acked": 0, "redeliveries": 0, "refused": 0}
TALLY = Tally()
REPORTS: list[int] = []  # one entry per worker report received (master)
EXPECTED: list[int] = []  # workers connected when the test started (master)
STARTED: list[float] = []  # monotonic, then wall clock (the fake records wall-clock times)
SEEDS = iter(range(1, 1_000_000))
# every delivery and redelivery still running (awaited before the report); a full pool makes
# the users wait: past what the gateway (or this process) absorbs, the offered rate drops
# instead of greenlets piling up without bound, and the shortfall shows as the achieved rate
MAX_INFLIGHT = 1024
BURST = 16  # webhooks one pass of a user's task may send when it is behind its pace
INFLIGHT = Pool(MAX_INFLIGHT)
DEFAULT_PATHS = {"wa": "/webhook/wa", "ig": "/webhook/ig", "msg": "/webhook/msg"}


@events.init_command_line_parser.add_listener
def _options(parser: Any) -> None:
    env = os.environ.get
    parser.add_argument("--metasim-profile", default=env("METASIM_LOAD_PROFILE", "80 mps steady"))
    parser.add_argument("--metasim-secret", default=env("METASIM_LOAD_SECRET", ""))
    parser.add_argument("--metasim-graph", default=env("METASIM_LOAD_GRAPH", ""))
    parser.add_argument("--metasim-admin-token", default=env("METASIM_LOAD_ADMIN_TOKEN", ""))
    # the admin API root (its /dlq lists dead letters); default: the host's /admin with a token
    parser.add_argument("--metasim-admin", default=env("METASIM_LOAD_ADMIN", ""))
    parser.add_argument(
        "--metasim-json", default=env("METASIM_LOAD_JSON", "reports/out/load-accounting.json")
    )
    parser.add_argument("--metasim-rate", type=float, default=float(env("METASIM_LOAD_RATE", "0")))
    parser.add_argument("--metasim-users", type=int, default=int(env("METASIM_LOAD_USERS", "0")))
    parser.add_argument(
        "--metasim-redelivery", type=float, default=float(env("METASIM_LOAD_REDELIVERY", "-1"))
    )
    parser.add_argument("--metasim-seed", type=int, default=int(env("METASIM_LOAD_SEED", "0")))
    # JSON {"wa": "/webhook/wa", ...}: the channels the gateway serves and where (path or URL)
    parser.add_argument("--metasim-paths", default=env("METASIM_LOAD_PATHS", ""))
    # JSON of the tenant ids the webhooks are addressed to (context.Tenant fields)
    parser.add_argument("--metasim-tenant", default=env("METASIM_LOAD_TENANT", ""))
    parser.add_argument(
        "--metasim-timeout", type=float, default=float(env("METASIM_LOAD_TIMEOUT", "0"))
    )
    parser.add_argument(
        "--metasim-compression",
        type=float,
        default=float(env("METASIM_LOAD_COMPRESSION", str(meta.COMPRESSION))),
    )
    parser.add_argument(
        "--metasim-attempts",
        type=int,
        default=int(env("METASIM_LOAD_ATTEMPTS", str(meta.DELIVERY_ATTEMPTS))),
    )
    parser.add_argument("--metasim-settle", type=float, default=float(env("METASIM_SETTLE", "180")))
    parser.add_argument("--metasim-label", default=env("METASIM_LOAD_LABEL", ""))


def _opts(environment: Environment) -> Any:
    if environment.parsed_options is None:
        raise RuntimeError("run this file through locust (its command line carries --metasim-*)")
    return environment.parsed_options


def _paths(environment: Environment) -> dict[str, str]:
    raw = _opts(environment).metasim_paths
    return dict(json.loads(raw)) if raw else dict(DEFAULT_PATHS)


def _timing(environment: Environment) -> MetaTiming:
    opts = _opts(environment)
    return MetaTiming.make(opts.metasim_timeout, opts.metasim_compression, opts.metasim_attempts)


def _profile(environment: Environment) -> Profile:
    opts = _opts(environment)
    profile = get_profile(opts.metasim_profile)
    served = _paths(environment)
    # only the channels the gateway serves, in the profile's proportions
    channels = {ch: w for ch, w in profile.channels.items() if ch in served}
    if not channels:
        raise ValueError(f"the gateway serves none of {', '.join(profile.channels)}")
    return profile.with_overrides(
        rate=opts.metasim_rate or None,
        users=opts.metasim_users or None,
        redelivery=opts.metasim_redelivery if opts.metasim_redelivery >= 0 else None,
        channels=channels,
    )


def _worker_index(environment: Environment) -> int:
    runner = environment.runner
    return int(getattr(runner, "worker_index", 0)) if isinstance(runner, WorkerRunner) else 0


class MetaWebhooks(User):
    """One Meta delivery stream: paced so that all users together reach the profile's rate."""

    concurrency = 64  # deliveries in flight per user: a slow gateway does not slow the sender

    def on_start(self) -> None:
        opts = _opts(self.environment)
        if not opts.metasim_secret:
            raise ValueError(
                "--metasim-secret (or METASIM_LOAD_SECRET) is the gateway's app secret"
            )
        self.profile = _profile(self.environment)
        self.paths = _paths(self.environment)
        self.timing = _timing(self.environment)
        self.sender = Sender(
            self.host or "", self.timing.wait_limit, self.concurrency, self.environment.events
        )
        # unique across users, workers (index) and the steps of a rate search (--metasim-seed)
        seed = (opts.metasim_seed * 1000 + _worker_index(self.environment)) * 10_000 + next(SEEDS)
        tenant = Tenant(**json.loads(opts.metasim_tenant)) if opts.metasim_tenant else None
        self.factory = WebhookFactory(self.profile, opts.metasim_secret, seed, tenant)
        self.rng = random.Random(seed)
        p = self.profile
        per_webhook = 1 + p.batch_share * (p.batch_size - 1)
        # each user paces at rate / profile.users, wherever it runs (local or on any worker):
        # run profile.users users in total to reach the profile's rate
        self.interval = p.users * per_webhook / p.rate
        # users start out of phase: all sending their first webhook at once would be a burst
        gevent.sleep(self.rng.random() * self.interval)
        self.next_at = time.monotonic()

    def wait_time(self) -> float:
        # fixed pacing (not think time): a slow ACK does not lower the offered rate
        return max(0.0, self.next_at - time.monotonic())

    def _post(self, hook: Webhook, name: str) -> str:
        """One POST; what it came to (meta_side.ANSWERED, ANSWERED_LATE, REFUSED, NO_ANSWER)."""
        status, took, _ = self.sender.post(self.paths[hook.channel], hook.body, hook.headers, name)
        if status == 0:
            kind = meta.NO_ANSWER
        else:
            in_time = status == 200 and took <= self.timing.timeouts[hook.channel]
            TALLY.answer(time.time(), round(took * 1000), hook.size if in_time else 0)
            kind = (
                meta.ANSWERED if in_time else meta.ANSWERED_LATE if status == 200 else meta.REFUSED
            )
        TALLY.attempts[kind] += 1
        return kind

    def _deliver(self, hook: Webhook) -> None:
        """Meta's delivery of one webhook: the first POST, then its retries until one is in time."""
        kinds = [self._post(hook, "webhook")]
        for wait in self.timing.waits:
            if kinds[-1] == meta.ANSWERED:
                break
            gevent.sleep(wait)
            TALLY.attempts[meta.RETRIES] += 1
            COUNTS["redeliveries"] += 1
            kinds.append(self._post(hook, "redelivery after failure"))
        if kinds[0] == meta.ANSWERED:
            outcome = meta.IN_TIME
        elif kinds[-1] == meta.ANSWERED:
            outcome = meta.AFTER_RETRY
        elif meta.ANSWERED_LATE in kinds:
            outcome = meta.LATE
        else:
            outcome = meta.NEVER
        TALLY.outcomes[outcome] += 1
        if outcome == meta.NEVER:
            COUNTS["refused"] += hook.size
            UNANSWERED.update(hook.tracked)
            return
        ACKED.update(hook.tracked)
        now = time.time()
        for msg_id in hook.tracked:
            ACK_AT[msg_id] = now
        COUNTS["untracked_acked"] += len(hook.untracked)
        if self.rng.random() < self.profile.redelivery:
            # Meta sends the same bytes again now and then: the gateway must not reply twice
            gevent.sleep(self.rng.uniform(0.2, 3.0))
            TALLY.attempts[meta.DUPLICATES] += 1
            COUNTS["redeliveries"] += 1
            self._post(hook, "redelivery")

    @task
    def deliver(self) -> None:
        # every webhook due by now, a few at most: behind schedule (a busy worker), one pass of
        # Locust's task loop sends several instead of one
        now = time.monotonic()
        for _ in range(BURST):
            hook = self.factory.next()
            COUNTS["webhooks"] += 1
            TALLY.sent(time.time(), hook.size)
            INFLIGHT.spawn(self._deliver, hook)
            self.next_at += self.interval
            if self.next_at > now:
                break


@events.init.add_listener
def _init(environment: Environment, **_: Any) -> None:
    # gevent's loop caches its clock; this file's imports (the catalogue, Faker) took a second
    # or two since it last looked, and Locust's -t timer, armed next from that stale clock,
    # would end the run that much early
    gevent.get_hub().loop.update_now()
    runner = environment.runner
    if isinstance(runner, MasterRunner):

        def merge(msg: Any, **_: Any) -> None:
            ACKED.update(msg.data["acked"])
            UNANSWERED.update(msg.data["unanswered"])
            ACK_AT.update(msg.data["ack_at"])
            for key, n in msg.data["counts"].items():
                COUNTS[key] += n
            TALLY.merge(msg.data["tally"])
            REPORTS.append(1)

        runner.register_message("metasim_acked", merge)
    elif isinstance(runner, WorkerRunner):
        # the master asks before it quits: stop sending, finish what is in flight, report
        def report_now(msg: Any, **_: Any) -> None:
            gevent.spawn(runner.stop)

        runner.register_message("metasim_report", report_now)


@events.test_start.add_listener
def _start(environment: Environment, **_: Any) -> None:
    STARTED.extend((time.monotonic(), time.time()))
    if isinstance(environment.runner, MasterRunner):
        # counted now: by the end, workers that already quit are no longer in worker_count
        EXPECTED.append(environment.runner.worker_count)


def _drain_inflight(environment: Environment) -> None:
    # deliveries still waiting on an answer or on Meta's back-off finish before anything is
    # reported: a webhook cut short would be neither ACKed nor never-answered
    INFLIGHT.join(timeout=_timing(environment).budget() + 5)
    INFLIGHT.kill(block=False)


@events.test_stop.add_listener
def _stop(environment: Environment, **_: Any) -> None:
    runner = environment.runner
    if isinstance(runner, WorkerRunner) and not REPORTS:
        REPORTS.append(1)  # once: a later stop (the master's quit) finds nothing new
        _drain_inflight(environment)
        message = {
            "acked": ACKED,
            "unanswered": UNANSWERED,
            "ack_at": ACK_AT,
            "counts": COUNTS,
            "tally": TALLY.to_message(),
        }
        runner.send_message("metasim_acked", message)
    elif isinstance(runner, MasterRunner):
        # A headless master quits without telling its workers to stop first, and stops
        # listening half a second later: ask every worker for its report while it still listens.
        runner.send_message("metasim_report", None)
        expected = max(EXPECTED, default=runner.worker_count)
        deadline = time.monotonic() + _timing(environment).budget() + 30
        while len(REPORTS) < expected and time.monotonic() < deadline:
            gevent.sleep(0.2)
        if len(REPORTS) < expected:
            print(f"only {len(REPORTS)} of {expected} workers reported: the accounting is partial")


@events.quitting.add_listener
def _quitting(environment: Environment, **_: Any) -> None:
    if isinstance(environment.runner, WorkerRunner) or not STARTED:
        return
    from metasim.simulator.load import finish

    if not isinstance(environment.runner, MasterRunner):
        _drain_inflight(environment)
    sent = finish.Sent(ACKED, UNANSWERED, ACK_AT, COUNTS, TALLY, STARTED[1])
    environment.process_exit_code = finish.finish(
        _opts(environment),
        environment.host or "",
        _profile(environment),
        _timing(environment),
        sent,
    )
