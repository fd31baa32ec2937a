"""`metasim load`: a named load profile on Locust against a local stack or a target, with accounting."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from metasim.simulator.cli.common import CliError
from metasim.simulator.load.profiles import ALIASES, PROFILES, get_profile

SUSTAINED = ("sustained", "find sustained rate")


def register(sub: Any) -> None:
    """Add the ``load`` command."""
    names = ", ".join(f"{n!r}" for n in PROFILES) + " (aliases: " + ", ".join(ALIASES) + ")"
    p = sub.add_parser(
        "load",
        help="load a gateway through Locust and account for every message",
        description="Start the fake Graph API and a gateway on loopback ports (the bundled one, "
        "or any a target file describes), load them with a profile through Locust (headless), "
        f"then print the exactly-once accounting. Profiles: {names}; 'sustained' searches the "
        "highest rate held with ACK p99 under Meta's timeout and nothing lost.",
    )
    p.add_argument("--profile", default="80 mps steady", help="profile name or alias")
    p.add_argument(
        "--target",
        help="a target file (.toml) or 'reference': load that gateway (default: the bundled "
        "gateway on SQLite, started by the load's own stack)",
    )
    p.add_argument("--workers", type=int, help="Locust workers under one master on this host")
    p.add_argument("--duration", type=float, help="seconds of load (default: the profile's)")
    p.add_argument("--rate", type=float, help="target messages/s (default: the profile's)")
    p.add_argument("--users", type=int, help="Locust users (default: the profile's)")
    p.add_argument("--redelivery", type=float, help="share of webhooks POSTed twice (0..1)")
    p.add_argument(
        "--meta-timeout",
        type=float,
        help="Meta's webhook timeout in seconds, every channel (default: 5 s Messenger / "
        "Instagram, 10 s WhatsApp); a slower 200 counts as a failure and is redelivered",
    )
    p.add_argument(
        "--hold", type=float, default=10.0, help="sustained: seconds each rate is held (10)"
    )
    p.add_argument(
        "--max-rate", type=float, default=2000.0, help="sustained: highest rate tried (2000)"
    )
    p.add_argument(
        "--statuses",
        action="store_true",
        default=None,
        help="the fake POSTs sent / delivered / read back for every reply (on in the fan-out profile)",
    )
    faults = p.add_mutually_exclusive_group()
    faults.add_argument("--no-faults", action="store_true", help="no fake Graph faults")
    faults.add_argument(
        "--faults",
        action="store_true",
        help="fake Graph faults even on a target without a readable dead-letter queue",
    )
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
        help="where to write the accounting (default reports/out/load-accounting.json); the "
        "HTML report goes beside it (.html)",
    )
    p.set_defaults(func=run)


def _checked(args: argparse.Namespace) -> None:
    if args.redelivery is not None and not 0 <= args.redelivery <= 1:
        raise CliError(f"--redelivery must be within [0, 1], got {args.redelivery}")
    if args.users is not None and args.users < 1:
        raise CliError(f"--users must be >= 1, got {args.users}")
    if args.workers is not None and not 1 <= args.workers <= 64:
        raise CliError(f"--workers must be within 1..64, got {args.workers}")
    if args.meta_timeout is not None and args.meta_timeout <= 0:
        raise CliError(f"--meta-timeout must be > 0 seconds, got {args.meta_timeout}")
    if args.hold <= 0 or args.max_rate <= 0:
        raise CliError("--hold and --max-rate must be > 0")
    if args.target and args.store:
        raise CliError("--store configures the bundled gateway; a target file sets its own store")
    if args.target and args.target.endswith(".toml") and not Path(args.target).is_file():
        raise CliError(f"--target {args.target}: no such file")


def run(args: argparse.Namespace) -> int:
    """Build the profile from the flags and run it (the runner imports Locust lazily)."""
    _checked(args)
    from metasim.simulator.load.runner import Options

    options = Options(workers=args.workers or 0, timeout=args.meta_timeout or 0.0)
    try:
        if args.profile in SUSTAINED:
            return _sustained(args, options)
        profile = get_profile(args.profile).with_overrides(
            duration=args.duration,
            rate=args.rate,
            users=args.users,
            redelivery=args.redelivery,
            status_callbacks=args.statuses,
            fault_rates={} if args.no_faults else None,
        )
        return _load(args, profile, options)
    except ValueError as exc:  # bad target file, profile, rate: a message, not a traceback
        raise CliError(str(exc)) from None


def _load(args: argparse.Namespace, profile: Any, options: Any) -> int:
    from metasim.simulator.load.runner import run as run_load
    from metasim.simulator.load.runner import run_baseline, run_target

    if args.target:
        verdict = run_target(args.target, profile, args.json, options, force_faults=args.faults)
    else:
        verdict = run_load(profile, args.json, store_url=args.store, options=options)
    if args.baseline:
        print(
            "== baseline: the same profile against a bare HMAC endpoint (metasim.simulator.load.bare)"
        )
        floor = args.json.with_name(args.json.stem + "-baseline.json")
        return verdict or run_baseline(profile, floor, options)
    return verdict


def _sustained(args: argparse.Namespace, options: Any) -> int:
    from metasim.simulator.load.sustained import Search, find

    search = Search(hold=args.hold, max_rate=args.max_rate, start_rate=args.rate or 20.0)
    return find(args.target or "reference", search, args.json, options)
