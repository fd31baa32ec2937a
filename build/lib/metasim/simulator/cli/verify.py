"""``metasim verify``: run the GET handshake variants and say whether the gateway answers as Meta requires."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from metasim.simulator.cli.common import CliError, check_url
from metasim.simulator.delivery import Deliverer, HandshakeResult


def register(sub: Any) -> None:
    """Add the ``verify`` command."""
    parser = sub.add_parser("verify", help="check the gateway's GET verification handshake")
    parser.add_argument("--to", required=True, metavar="URL", help="webhook URL of the gateway")
    parser.add_argument("--token", required=True, help="the verify token the gateway expects")
    parser.set_defaults(func=run)


async def _verify(url: str, token: str) -> list[HandshakeResult]:
    # the secret is unused by the handshake: it only signs POSTs
    async with Deliverer(url, secret="") as deliverer:
        return await deliverer.handshake_all(token=token)


def run(args: argparse.Namespace) -> int:
    """Print one line per variant; exit 1 if any answer differs from what Meta requires."""
    check_url(args.to)
    results = asyncio.run(_verify(args.to, args.token))
    if all(r.status is None for r in results):
        raise CliError(f"cannot reach {args.to}: {results[0].error}")
    for result in results:
        print(result.describe())
    wrong = [r.variant for r in results if not r.ok]
    if wrong:
        raise CliError(f"the handshake is not as Meta requires ({', '.join(wrong)})")
    print("handshake ok: the gateway answers as Meta requires")
    return 0
