"""``metasim`` entry point: builds the parser from COMMANDS and turns known errors into exit codes."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from metasim.simulator.cli.common import EXPECTED_ERRORS, error

# One module per command; each defines ``register(subparsers)``. Add a command with one line
# here (e.g. "simulator.cli.graph" for `metasim graph serve`, "simulator.cli.load").
COMMANDS: list[str] = [
    "metasim.simulator.cli.events",
    "metasim.simulator.cli.payload",
    "metasim.simulator.cli.trigger",
    "metasim.simulator.cli.verify",
    "metasim.simulator.cli.graph",
    "metasim.simulator.cli.load",
    "metasim.simulator.cli.chaos",
    "metasim.simulator.cli.test",
]


def build_parser() -> argparse.ArgumentParser:
    """The full ``metasim`` parser with every registered command."""
    parser = argparse.ArgumentParser(
        prog="metasim",
        description="Meta's side of the wire: WhatsApp / Instagram / Messenger webhooks, signed and "
        "delivered as Meta does.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_name in COMMANDS:
        importlib.import_module(module_name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; exit 0 on success, 1 on a failed check or bad input, 2 on usage errors."""
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except EXPECTED_ERRORS as exc:
        return error(str(exc))
    except KeyboardInterrupt:
        return error("interrupted", code=130)
    return code


if __name__ == "__main__":
    sys.exit(main())
