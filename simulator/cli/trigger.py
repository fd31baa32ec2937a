"""``metasim trigger``: build an event, sign it, deliver it as Meta does, print the gateway's answers."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from metasim.simulator.cli.common import CliError, add_build_options, build_payload, check_url
from metasim.simulator.delivery import Deliverer, DeliveryRecord, RetryPolicy
from metasim.simulator.delivery.schedule import DEFAULT_COMPRESSION


def register(sub: Any) -> None:
    """Add the ``trigger`` command."""
    parser = sub.add_parser(
        "trigger",
        help="sign and deliver an event to a gateway",
        description="Sign and deliver EVENT. Exit 0 when every delivery got HTTP 200 (Meta's only "
        "success); with --defect, exit 0 when the gateway refused it.",
    )
    add_build_options(parser)
    parser.add_argument("--to", required=True, metavar="URL", help="webhook URL of the gateway")
    parser.add_argument("--secret", required=True, help="the app secret the gateway verifies with")
    parser.add_argument(
        "--redeliver", type=int, default=0, metavar="N", help="deliver N more times"
    )
    parser.add_argument(
        "--redeliver-mode",
        choices=("same", "reserialised"),
        default="same",
        help="same bytes, or other key order/whitespace with a new valid signature",
    )
    parser.add_argument(
        "--retries", type=int, default=0, metavar="N", help="retry like Meta up to N times"
    )
    parser.add_argument(
        "--compression",
        type=float,
        default=DEFAULT_COMPRESSION,
        help="Meta seconds per real second for the retry schedule",
    )
    parser.add_argument("--timeout", type=float, help="seconds before an attempt counts as failed")
    parser.set_defaults(func=run)


def show(record: DeliveryRecord, label: str) -> None:
    """Print one delivery: what was sent, then each attempt."""
    signature = record.headers.get("X-Hub-Signature-256", "(none)")
    defect = f", defect {record.defect}" if record.defect else ""
    print(
        f"{label} POST {record.url} ({len(record.body)} bytes, X-Hub-Signature-256: {signature}{defect})"
    )
    for attempt in record.attempts:
        print(f"  {attempt.describe()}")


def verdict(record: DeliveryRecord) -> str | None:
    """None when the record is what the user wanted, else why not."""
    final = record.final
    if final.status is None:
        raise CliError(f"cannot reach {record.url}: {final.error}")
    if record.defect:
        if final.status == 200:
            return f"the gateway accepted a POST with signing defect {record.defect!r}; it must refuse it"
        return None
    if final.status != 200:
        return f"the gateway answered HTTP {final.status}; Meta counts only 200 as delivered and will retry"
    return None


async def _trigger(args: argparse.Namespace, payload: dict[str, Any]) -> list[DeliveryRecord]:
    retry = (
        RetryPolicy.none()
        if args.retries <= 0 or args.defect
        else RetryPolicy(compression=args.compression, max_retries=args.retries)
    )
    timeouts = {c: args.timeout for c in ("wa", "ig", "msg")} if args.timeout else None
    async with Deliverer(args.to, args.secret, retry=retry, timeouts=timeouts) as deliverer:
        first = await deliverer.deliver(payload, defect=args.defect, legacy_sha1=args.legacy_sha1)
        records = [first]
        show(first, "delivery 1:")
        if first.final.status is None:
            return records
        for n in range(args.redeliver):
            again = await deliverer.redeliver(first, args.redeliver_mode)
            records.append(again)
            show(again, f"redelivery {n + 1} ({args.redeliver_mode}):")
    return records


def run(args: argparse.Namespace) -> int:
    """Deliver, print, and exit 1 if any delivery did not end as expected."""
    check_url(args.to)
    if args.redeliver < 0 or args.retries < 0:
        raise CliError("--redeliver and --retries must be >= 0")
    payload = build_payload(args)
    records = asyncio.run(_trigger(args, payload))
    problems = [p for p in (verdict(r) for r in records) if p]
    if problems:
        raise CliError(
            problems[0] + (f" ({len(problems)} deliveries affected)" if len(problems) > 1 else "")
        )
    print("refused as expected" if args.defect else "delivered")
    return 0
