"""``metasim payload``: print the headers and the exact bytes Meta would send for an event."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from metasim.simulator.cli.common import add_build_options, build_payload
from metasim.simulator.signing_defects import SignedRequest, defective, signed


def register(sub: Any) -> None:
    """Add the ``payload`` command."""
    parser = sub.add_parser("payload", help="print the exact bytes and headers Meta would send")
    add_build_options(parser)
    parser.add_argument("--secret", help="app secret to sign with (no signature header without it)")
    parser.add_argument(
        "--body-only", action="store_true", help="print only the body bytes, exactly"
    )
    parser.set_defaults(func=run)


def request_for(args: argparse.Namespace, payload: dict[str, Any], secret: str) -> SignedRequest:
    """The signed request (or the requested defect) for ``payload``."""
    if args.defect:
        return defective(args.defect, payload, secret)
    return signed(payload, secret, legacy_sha1=args.legacy_sha1)


def run(args: argparse.Namespace) -> int:
    """Headers, a blank line, then the body bytes on stdout."""
    payload = build_payload(args)
    if args.secret is None:
        request = signed(payload, "")
        headers = {"Content-Type": "application/json"}
        if not args.body_only:
            print("(unsigned: pass --secret to add X-Hub-Signature-256)", file=sys.stderr)
    else:
        request = request_for(args, payload, args.secret)
        headers = request.headers
    out = sys.stdout.buffer
    if args.body_only:
        out.write(request.body)
    else:
        for name, value in headers.items():
            out.write(f"{name}: {value}\n".encode())
        out.write(f"Content-Length: {len(request.body)}\n\n".encode())
        out.write(request.body + b"\n")
    out.flush()
    return 0
