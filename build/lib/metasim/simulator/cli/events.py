"""``metasim events``: list the catalogue (name, kind, description)."""

from __future__ import annotations

import argparse
from typing import Any

from metasim.simulator import catalogue


def register(sub: Any) -> None:
    """Add the ``events`` command."""
    parser = sub.add_parser("events", help="list the catalogue events")
    parser.add_argument("--channel", choices=catalogue.CHANNELS, help="only this channel's events")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print one line per event: name, kind, dialects when not only classic, description."""
    events = catalogue.events(args.channel)
    if not events:
        print("no events")
        return 0
    width = max(len(e.name) for e in events)
    kind_width = max(len(e.kind) for e in events)
    for event in events:
        dialects = "" if event.dialects == ("classic",) else f" [{'|'.join(event.dialects)}]"
        print(f"{event.name:<{width}}  {event.kind:<{kind_width}}  {event.description}{dialects}")
    return 0
