"""Crash recovery under load: SIGKILL the gateway, or restart Redis, then account exactly-once."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from metasim.simulator.load.accounting import Accounting, account
from metasim.simulator.load.chaos_redis import persistent_redis, redis_url
from metasim.simulator.load.chaos_traffic import Traffic, TrafficPlan, run_traffic
from metasim.simulator.load.stack import ADMIN_TOKEN, SECRET, Stack
from metasim.simulator.load.target import LoadTarget, TargetError

# a worker killed mid-claim keeps its inbox lease 30 s (gateway/worker.py), and an outbox item
# left inflight is dead-lettered once its lease (Graph timeout + 5 s) ends: drain covers both
DRAIN_SECONDS = 75.0
DOWN_SECONDS = 0.5  # how long a killed process stays down before its restart
# share of sends the fake accepts and then loses the answer of: a gateway that re-sends them
# shows up as doubled in the accounting
LOST_ANSWER_RATE = 0.02


def chaos_faults(lost_answer: float = LOST_ANSWER_RATE) -> list[dict[str, Any]]:
    """The fake Graph faults of a chaos run (``POST /__metasim/faults`` items)."""
    if lost_answer <= 0:
        return []
    return [{"action": "lost_answer", "probability": lost_answer, "match": {"kind": "send"}}]


@dataclass
class ChaosResult:
    """One scenario's figures and its exactly-once accounting."""

    scenario: str
    crashes: int
    traffic: Traffic
    accounting: Accounting
    seconds: float
    quarantined: dict[str, int]  # the gateway's quarantine by reason: where a lost one may sit

    @property
    def ok(self) -> bool:
        return self.accounting.ok and not self.traffic.unacked

    def summary(self) -> str:
        t = self.traffic
        head = [
            f"== chaos scenario: {self.scenario}",
            f"crashes: {self.crashes}   events sent: {t.sent}   ACKed: {len(t.acked)}   "
            f"never ACKed: {len(t.unacked)}   redeliveries: {t.redeliveries}   "
            f"refused posts (down): {t.refused}   wall time: {self.seconds:.1f} s",
        ]
        quarantine = ", ".join(f"{r}: {n}" for r, n in self.quarantined.items()) or "empty"
        return "\n".join([*head, self.accounting.table(), f"gateway quarantine: {quarantine}"])

    def to_json(self) -> dict[str, Any]:
        t = self.traffic
        return {
            "scenario": self.scenario,
            "crashes": self.crashes,
            "sent": t.sent,
            "acked": len(t.acked),
            "unacked": t.unacked,
            "redeliveries": t.redeliveries,
            "refused_posts": t.refused,
            "seconds": round(self.seconds, 1),
            "accounting": self.accounting.to_json(),
            "quarantined": self.quarantined,
        }


def _crash_schedule(duration: float, crashes: int) -> list[float]:
    """Crash times spread evenly inside the run, never at its very start or end."""
    return [duration * (k + 1) / (crashes + 1) for k in range(crashes)]


def _chaos_thread(
    schedule: Sequence[float], crash: Callable[[int], None]
) -> tuple[threading.Thread, list[BaseException], list[int]]:
    """Run ``crash(k)`` at each scheduled time on a thread (kills and restarts block).

    Returns the thread, the errors list, and the list of crashes done (filled as they happen).
    """
    errors: list[BaseException] = []
    done: list[int] = []

    def run() -> None:
        start = time.monotonic()
        for k, at in enumerate(schedule):
            time.sleep(max(0.0, start + at - time.monotonic()))
            try:
                crash(k)
                done.append(k)
            except BaseException as exc:  # reported after the run, never swallowed
                errors.append(exc)
                return

    return threading.Thread(target=run, name="chaos", daemon=True), errors, done


def _drain(stack: Stack | LoadTarget, acked: dict[str, str], timeout: float) -> Accounting:
    """Account until nothing is lost (late replies, lease expiries) and the Graph calls settle."""
    deadline = time.monotonic() + timeout
    last_calls = -1
    while True:
        calls = stack.graph_calls(kind="send")
        acc = account(acked, calls, stack.dead_letters())
        settled = len(calls) == last_calls
        if (acc.ok and settled) or time.monotonic() > deadline:
            return acc
        last_calls = len(calls)
        time.sleep(1.0)


def _quarantined(stack: Stack | LoadTarget) -> dict[str, int]:
    """Quarantine reasons and counts (admin API): a message lost may be parked there."""
    if isinstance(stack, LoadTarget):
        root, token = stack.admin
        if not token:
            return {}
    else:
        root, token = f"{stack.gateway_url(0)}/admin", ADMIN_TOKEN
    r = httpx.get(
        f"{root}/quarantine",
        params={"limit": 1000},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    if r.status_code == 404:
        return {}  # the quarantine route is the bundled gateway's: another admin API may lack it
    r.raise_for_status()
    return dict(Counter(str(item["reason"]) for item in r.json()["items"]))


def _run(
    stack: Stack | LoadTarget,
    plan: TrafficPlan,
    crashes: int,
    crash: Callable[[int], None],
    drain: float,
    lost_answer: float = LOST_ANSWER_RATE,
) -> tuple[int, Traffic, Accounting, dict[str, int]]:
    """Traffic with crashes on schedule, then the drain: crashes done, traffic, accounting and
    the quarantine by reason."""
    stack.add_faults(chaos_faults(lost_answer))
    thread, errors, done = _chaos_thread(_crash_schedule(plan.duration, crashes), crash)
    thread.start()
    traffic = asyncio.run(run_traffic(plan))
    thread.join()
    if errors:
        raise RuntimeError(f"a crash or restart failed: {errors[0]!r}") from errors[0]
    acc = _drain(stack, traffic.acked, drain)
    return len(done), traffic, acc, _quarantined(stack)


def sigkill_scenario(
    *,
    duration: float = 40.0,
    rate: float = 20.0,
    kills: int = 4,
    drain: float = DRAIN_SECONDS,
    workdir: Path | None = None,
    lost_answer: float = LOST_ANSWER_RATE,
) -> ChaosResult:
    """One gateway on SQLite, SIGKILLed ``kills`` times during the run and restarted each time."""
    started = time.monotonic()
    plan = TrafficPlan(SECRET, lambda c, i: "", rate=rate, duration=duration)

    def crash(k: int) -> None:
        stack.kill(0)
        time.sleep(DOWN_SECONDS)
        stack.restart(0)

    with Stack(gateways=1, workdir=workdir, callbacks=False) as stack:
        plan.url = stack.webhook_url
        done, traffic, acc, q = _run(stack, plan, kills, crash, drain, lost_answer)
    return ChaosResult("sigkill", done, traffic, acc, time.monotonic() - started, q)


def redis_scenario(
    *,
    duration: float = 40.0,
    rate: float = 20.0,
    restarts: int = 3,
    drain: float = DRAIN_SECONDS,
    workdir: Path | None = None,
    lost_answer: float = LOST_ANSWER_RATE,
) -> ChaosResult:
    """Two gateways on one Redis (append-only, fsync always), Redis SIGKILLed and restarted."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="metasim-chaos-") as tmp:
        base = workdir or Path(tmp)
        (base / "redis").mkdir(parents=True, exist_ok=True)
        plan = TrafficPlan(
            SECRET, lambda c, i: "", rate=rate, duration=duration, gateways=2, seed=8
        )
        redis = persistent_redis(base / "redis")

        def crash(k: int) -> None:
            redis.kill()
            time.sleep(DOWN_SECONDS)
            redis.stop()  # closes the log handle the killed process held
            redis.start()

        redis.start()
        try:
            url = redis_url(redis)
            with Stack(url, gateways=2, workdir=base / "stack", callbacks=False) as stack:
                plan.url = stack.webhook_url
                done, traffic, acc, q = _run(stack, plan, restarts, crash, drain, lost_answer)
        finally:
            redis.stop()
    return ChaosResult("redis-restart", done, traffic, acc, time.monotonic() - started, q)


def target_scenario(
    spec: str,
    *,
    duration: float = 40.0,
    rate: float = 20.0,
    kills: int = 4,
    drain: float = DRAIN_SECONDS,
    lost_answer: float = LOST_ANSWER_RATE,
) -> ChaosResult:
    """The gateway a target file describes, SIGKILLed ``kills`` times and started again from its
    ``[start]`` section each time, under steady signed texts and the harness's fake Graph API."""
    started = time.monotonic()
    with LoadTarget(spec) as target:
        if not target.restartable:
            raise TargetError(
                f"--target {spec}: chaos kills and restarts the gateway, so the target file "
                "needs a [start] section (the harness must start it)"
            )
        if lost_answer and not target.admin[1]:
            # a gateway with no readable dead letters cannot show the reply it parked
            print(f"{target.name} has no admin API: lost answers off (its dead letters unread)")
            lost_answer = 0.0
        plan = TrafficPlan(
            target.secret,
            target.webhook_url,
            rate=rate,
            duration=duration,
            channels=tuple(target.paths),
            tenant=target.tenant,
        )

        def crash(k: int) -> None:
            target.kill()
            time.sleep(DOWN_SECONDS)
            target.restart()

        done, traffic, acc, q = _run(target, plan, kills, crash, drain, lost_answer)
        name = target.name
    return ChaosResult(f"sigkill {name}", done, traffic, acc, time.monotonic() - started, q)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The chaos options (``metasim chaos`` and ``python -m metasim.simulator.load.chaos``)."""
    p.add_argument(
        "--target",
        help="a target file (.toml) whose [start] section starts the gateway: SIGKILL and "
        "restart that gateway instead of the bundled one",
    )
    p.add_argument("--scenario", choices=("sigkill", "redis", "all"), default="all")
    p.add_argument("--duration", type=float, default=40.0, help="seconds of traffic per scenario")
    p.add_argument("--rate", type=float, default=20.0, help="events per second")
    p.add_argument("--crashes", type=int, default=4, help="kills (or Redis restarts) per run")
    p.add_argument(
        "--lost-answer",
        type=float,
        default=LOST_ANSWER_RATE,
        help="share of sends the fake Graph accepts then loses the answer of (0 = none)",
    )
    p.add_argument("--json", type=Path, help="also write the results here as JSON")
    p.add_argument("--workdir", type=Path, help="keep stores and logs here (default: temporary)")


def run(args: argparse.Namespace) -> int:
    """Run the chosen scenarios, print each accounting; 0 only if every one is exactly-once."""
    if args.duration <= 0 or args.rate <= 0 or args.crashes < 1:
        raise ValueError("--duration and --rate must be > 0 and --crashes >= 1")
    kw: dict[str, Any] = {
        "duration": args.duration,
        "rate": args.rate,
        "lost_answer": args.lost_answer,
    }
    results = []
    if args.target:
        if args.scenario == "redis":
            raise ValueError("--scenario redis restarts the bundled gateways' Redis: no --target")
        results.append(target_scenario(args.target, kills=args.crashes, **kw))
        print(results[-1].summary(), flush=True)
    if not args.target and args.scenario in ("sigkill", "all"):
        work = args.workdir / "sigkill" if args.workdir else None
        results.append(sigkill_scenario(kills=args.crashes, workdir=work, **kw))
        print(results[-1].summary(), flush=True)
    if not args.target and args.scenario in ("redis", "all"):
        work = args.workdir / "redis" if args.workdir else None
        results.append(redis_scenario(restarts=args.crashes, workdir=work, **kw))
        print(results[-1].summary(), flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps([r.to_json() for r in results], indent=2))
    return 0 if all(r.ok for r in results) else 1


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m metasim.simulator.load.chaos``: run the scenarios, print the accounting, exit 1 if not ok."""
    p = argparse.ArgumentParser(prog="python -m metasim.simulator.load.chaos", description=__doc__)
    add_arguments(p)
    args = p.parse_args(argv)
    try:
        return run(args)
    except ValueError as exc:
        p.error(str(exc))
    return 2


if __name__ == "__main__":
    sys.exit(main())
