"""Find the sustained rate: the highest rate a gateway holds with ACK p99 under Meta's timeout."""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from metasim.simulator.load import meta_side as meta
from metasim.simulator.load.profiles import get_profile
from metasim.simulator.load.runner import Options, run_on
from metasim.simulator.load.series import write_html
from metasim.simulator.load.target import LoadTarget

# Meta's published WhatsApp throughput per business number, printed beside the figure
META_DEFAULT_MPS = 80
META_UPGRADED_MPS = 1000
ACHIEVED_SHARE = 0.9  # a step holds only if this share of its rate was ACKed in time
PER_USER_RATE = 25.0  # messages/s one Locust user paces (more users at higher rates)
STEP_SETTLE = 60.0  # a step's replies must all be out this long after its sends stop


@dataclass(frozen=True)
class Search:
    """Double from ``start_rate`` until a step fails, then bisect down to ``precision``."""

    hold: float = 10.0
    start_rate: float = 20.0
    max_rate: float = 2000.0
    precision: float = 0.1  # stop once the failing rate is within 10 % of the holding one
    max_steps: int = 12


def judge(doc: dict[str, Any], rate: float, timeout: float) -> dict[str, Any]:
    """One step's figures and whether the gateway held ``rate`` (and if not, why)."""
    run, acc = doc["run"], doc.get("accounting", {})
    outcomes = run["webhook outcomes"]
    step = {
        "rate": rate,
        "achieved": run["achieved rate (ACKed messages/s)"],
        "p99": run["ACK latency p99 (ms)"],
        "lost": acc.get("lost", 0),
        "doubled": acc.get("doubled", 0),
        "late": outcomes[meta.LATE],
        "never": outcomes[meta.NEVER],
    }
    why = []
    if step["p99"] >= timeout * 1000:
        why.append(f"ACK p99 {step['p99']:g} ms >= Meta's {timeout:g} s")
    if step["lost"] or step["doubled"]:
        why.append(f"{step['lost']} lost, {step['doubled']} doubled")
    if step["late"] or step["never"]:
        why.append(f"{step['late']} late, {step['never']} never answered")
    if step["achieved"] < ACHIEVED_SHARE * rate:
        why.append(f"achieved {step['achieved']} < {ACHIEVED_SHARE:.0%} of {rate:g}")
    return {**step, "held": not why, "why": "; ".join(why)}


def _quiet(target: LoadTarget, limit: float = 60.0) -> None:
    """Wait until the fake sees no new sends for 2 s: a step starts on a gateway at rest."""
    deadline = time.monotonic() + limit
    last = -1
    while time.monotonic() < deadline:
        count = len(target.graph_calls("send"))
        if count == last:
            return
        last = count
        time.sleep(2.0)


def find(spec: str, search: Search, json_path: Path, options: Options) -> int:
    """Run the search against the target ``spec``; write the steps and the figure (JSON, HTML)."""
    base = get_profile("steady").with_overrides(fault_rates={}, redelivery=0.0)
    steps: list[dict[str, Any]] = []
    docs: dict[float, dict[str, Any]] = {}
    with LoadTarget(spec) as target:
        channels = [ch for ch in base.channels if ch in target.paths]
        timeout = options.timeout or min(meta.MetaTiming.make().timeouts[ch] for ch in channels)

        def attempt(rate: float) -> bool:
            n = len(steps) + 1
            _quiet(target)
            users = max(4, math.ceil(rate / PER_USER_RATE))
            profile = base.with_overrides(rate=rate, duration=search.hold, users=users)
            path = json_path.with_name(f"{json_path.stem}-step{n}.json")
            print(f"== sustained rate, step {n}: {rate:g} messages/s for {search.hold:g} s")
            step_options = Options(
                workers=options.workers,
                timeout=options.timeout,
                seed=n,
                label=f"{target.name} step {n}: {rate:g} messages/s",
            )
            run_on(target, profile, path, step_options, settle=STEP_SETTLE)
            doc = json.loads(path.read_text())
            docs[rate] = doc
            steps.append(judge(doc, rate, timeout))
            print(f"   held: {steps[-1]['held']} {steps[-1]['why']}", flush=True)
            return bool(steps[-1]["held"])

        held, failed = 0.0, 0.0
        rate = search.start_rate
        while rate <= search.max_rate and len(steps) < search.max_steps:
            if not attempt(rate):
                failed = rate
                break
            held = rate
            if rate >= search.max_rate:
                break
            rate = min(rate * 2, search.max_rate)
        while failed and held and failed - held > search.precision * held:
            if len(steps) >= search.max_steps:
                break
            mid = round((held + failed) / 2)
            if attempt(mid):
                held = mid
            else:
                failed = mid
        name = target.name
    summary = {
        "target": name,
        "rate": held,
        "first failing rate": failed or None,
        "hold": search.hold,
        "timeout": timeout,
        "meta default (messages/s)": META_DEFAULT_MPS,
        "meta upgraded burst (messages/s)": META_UPGRADED_MPS,
    }
    print(
        f"sustained rate of {name}: {held:g} messages/s held {search.hold:g} s "
        f"(Meta: {META_DEFAULT_MPS} default, {META_UPGRADED_MPS} upgraded)"
    )
    best = docs.get(held, {"run": {}})
    doc = {**best, "sustained": summary, "steps": steps}
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    write_html(doc, best.get("timeline", {}), json_path.with_suffix(".html"))
    return 0 if held else 1
