"""What several ``metasim`` commands share: build options, payload building, progress, errors."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from metasim.simulator import catalogue
from metasim.simulator.builders.batch import MAX_UPDATES, BatchError, wrap
from metasim.simulator.context import BuildContext
from metasim.simulator.overrides import OverrideError, apply_overrides
from metasim.simulator.signing_defects import DEFECTS, DefectNotApplicable

PROGRESS_FROM = 100  # show progress on stderr for batches of at least this many updates


class CliError(Exception):
    """A user-facing failure: printed as ``metasim: error: ...`` without a traceback."""


EXPECTED_ERRORS: tuple[type[Exception], ...] = (
    CliError,
    catalogue.UnknownEvent,
    catalogue.UnknownDialect,
    catalogue.CatalogueError,
    OverrideError,
    BatchError,
    DefectNotApplicable,
)


def error(message: str, code: int = 1) -> int:
    """Print ``metasim: error: message`` on stderr and return the exit code."""
    print(f"metasim: error: {message}", file=sys.stderr)
    return code


def add_build_options(parser: argparse.ArgumentParser) -> None:
    """EVENT and the options that shape the payload (shared by payload and trigger)."""
    parser.add_argument(
        "event", metavar="EVENT", help="catalogue event name (see `metasim events`)"
    )
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override a field, e.g. entry.0.changes.0.value.messages.0.text.body=Bonjour "
        "(VALUE parsed as JSON when valid JSON, else a string; repeatable)",
    )
    parser.add_argument(
        "--dialect",
        default=None,
        help="WhatsApp: dual (phone + business-scoped id, the default), classic (phone only) "
        "or bsuid (no phone); Instagram / Messenger: classic",
    )
    parser.add_argument(
        "--batch",
        type=int,
        metavar="N",
        help=f"N copies of EVENT in one POST (at most {MAX_UPDATES})",
    )
    parser.add_argument("--seed", type=int, help="reproducible ids and names")
    parser.add_argument("--now", type=float, metavar="EPOCH", help="fixed clock (epoch seconds)")
    parser.add_argument("--defect", choices=sorted(DEFECTS), help="send one signing defect instead")
    parser.add_argument("--legacy-sha1", action="store_true", help="add X-Hub-Signature: sha1=...")


class Progress:
    """``building 1000 updates: 40%`` on stderr, every 10 %, for long batches only."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.shown = -1

    def __call__(self, done: int, total: int) -> None:
        if total < PROGRESS_FROM:
            return
        tenth = done * 10 // total
        if tenth != self.shown:
            self.shown = tenth
            end = "\n" if done == total or not sys.stderr.isatty() else ""
            print(
                f"\r{self.label} {total} updates: {tenth * 10}%",
                end=end,
                file=sys.stderr,
                flush=True,
            )


def build_payload(args: argparse.Namespace) -> dict[str, Any]:
    """The payload EVENT names, batched and overridden as the options say."""
    if args.seed is not None:
        ctx = BuildContext.seeded(args.seed, now=args.now)
    else:
        ctx = BuildContext()
        if args.now is not None:
            now = args.now
            ctx.clock = lambda: now
    progress = Progress("building")
    if args.batch is not None:
        event = catalogue.get(args.event)
        if args.dialect is not None:
            catalogue.check_dialect(event, args.dialect)
        if args.batch < 1:
            raise CliError(f"--batch must be at least 1, got {args.batch}")
        payload = wrap(args.event, args.batch, ctx, dialect=args.dialect, progress=progress)
        return apply_overrides(payload, args.overrides)
    return catalogue.build(
        args.event, ctx, dialect=args.dialect, overrides=args.overrides, progress=progress
    )


def check_url(url: str) -> str:
    """``url`` if it is an http(s) URL, else a clear error."""
    if not url.startswith(("http://", "https://")):
        raise CliError(
            f"--to {url!r} is not an http:// or https:// URL (e.g. http://127.0.0.1:8000/webhook/wa)"
        )
    return url
