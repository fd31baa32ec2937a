"""`metasim load`: a named load profile on Locust against a fresh local stack, with accounting."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from metasim.simulator.load.profiles import ALIASES, PROFILES, get_profile


def register(sub: Any) -> None:
    """Add the ``load`` command."""
    names = ", ".join(f"{n!r}" for n in PROFILES) + " (aliases: " + ", ".join(ALIASES) + ")"
    p = sub.add_parser(
        "load",
        help="load a local gateway through Locust and account for every message",
        description="Start the fake Graph API and a gateway on loopback ports, load them with a "
        f"profile through Locust (headless), then print the exactly-once accounting. Profiles: {names}.",
    )
    p.add_argument("--profile", default="80 mps steady", help="profile name or alias")
    p.add_argument("--duration", type=float, help="seconds of load (default: the profile's)")
    p.add_argument("--rate", type=float, help="target messages/s (default: the profile's)")
    p.add_argument("--users", type=int, help="Locust users (default: the profile's)")
    p.add_argument("--redelivery", type=float, help="share of webhooks POSTed twice (0..1)")
    p.add_argument(
        "--statuses",
        action="store_true",
        default=None,
        help="the fake POSTs sent / delivered / read back for every reply (on in the fan-out profile)",
    )
    p.add_argument("--no-faults", action="store_true", help="no fake Graph faults")
    p.add_argument("--store", help="gateway store URL (default: a fresh SQLite file)")
    p.add_argument(
        "--baseline",
        action="store_true",
        help="then run the same profile against a bare HMAC endpoint (the ACK floor of this "
        "machine and sender, written beside the accounting as *-baseline.json)",
    )
    p.add_argument(
        "--json",
        type=Path,
        default=Path("reports/out/load-accounting.json"),
        help="where to write the accounting (default reports/out/load-accounting.json)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Build the profile from the flags and run it (the runner imports Locust lazily)."""
    if args.redelivery is not None and not 0 <= args.redelivery <= 1:
        raise ValueError(f"--redelivery must be within [0, 1], got {args.redelivery}")
    if args.users is not None and args.users < 1:
        raise ValueError(f"--users must be >= 1, got {args.users}")
    profile = get_profile(args.profile).with_overrides(
        duration=args.duration,
        rate=args.rate,
        users=args.users,
        redelivery=args.redelivery,
        status_callbacks=args.statuses,
        fault_rates={} if args.no_faults else None,
    )
    from metasim.simulator.load.runner import run as run_load
    from metasim.simulator.load.runner import run_baseline

    verdict = run_load(profile, args.json, store_url=args.store)
    if args.baseline:
        print(
            "== baseline: the same profile against a bare HMAC endpoint (metasim.simulator.load.bare)"
        )
        floor = run_baseline(profile, args.json.with_name(args.json.stem + "-baseline.json"))
        return verdict or floor
    return verdict
