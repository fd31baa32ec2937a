"""`metasim chaos`: SIGKILL a gateway (the bundled one, or a target's) under load, then account."""

from __future__ import annotations

import argparse
from typing import Any

from metasim.simulator.cli.common import CliError


def register(sub: Any) -> None:
    """Add the ``chaos`` command."""
    from metasim.simulator.load import chaos

    p = sub.add_parser(
        "chaos",
        help="kill and restart a gateway under steady traffic and account for every message",
        description="Steady signed texts with redeliveries while the gateway is SIGKILLed and "
        "restarted (or Redis, under two bundled gateways); then the exactly-once accounting. "
        "With --target, the gateway a target file starts ([start] section) is the one killed.",
    )
    chaos.add_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from metasim.simulator.load import chaos

    if args.target and args.target.endswith(".toml"):
        from pathlib import Path

        if not Path(args.target).is_file():
            raise CliError(f"--target {args.target}: no such file")
    try:
        return chaos.run(args)
    except ValueError as exc:  # a bad target file or option: a message, not a traceback
        raise CliError(str(exc)) from None
