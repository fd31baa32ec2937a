"""``metasim graph serve``: run the fake Graph API as a real HTTP server."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from metasim.simulator.cli.common import CliError
from metasim.simulator.context import Tenant
from metasim.simulator.graph import CallbackSettings, GraphConfig, create_graph_app
from metasim.simulator.graph.config import DEFAULT_TOKEN, default_grants
from metasim.simulator.graph.limits import LIMITS
from metasim.simulator.graph.server import serve
from metasim.simulator.graph.tokens import TokenGrant, load_grants, parse_grant


def register(sub: Any) -> None:
    """Add ``graph serve``."""
    graph = sub.add_parser("graph", help="the fake Graph API")
    graph_sub = graph.add_subparsers(dest="graph_command", metavar="SUBCOMMAND", required=True)
    p = graph_sub.add_parser("serve", help="serve the fake Graph API over HTTP")
    p.add_argument("--port", type=int, default=8089, help="TCP port (default 8089)")
    p.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    p.add_argument(
        "--callbacks-to",
        metavar="URL",
        help="gateway webhook URL for status webhooks ({channel} becomes wa|msg|ig)",
    )
    p.add_argument("--secret", default="", help="app secret signing the status webhooks")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument(
        "--strict",
        dest="strict",
        action="store_true",
        default=True,
        help="reject unknown request keys, as Meta does (default)",
    )
    mode.add_argument(
        "--lenient", dest="strict", action="store_false", help="accept unknown request keys"
    )
    p.add_argument(
        "--tokens",
        action="append",
        default=[],
        metavar="FILE|CHANNEL:TENANT=TOKEN",
        help="a JSON grants file, or CHANNEL:TENANT=TOKEN (CHANNEL wa|msg|ig; TENANT=TOKEN "
        "alone for the simulator's default ids); repeatable. Default: one dev token for the "
        "default phone number, Page and IG account",
    )
    p.add_argument(
        "--rate-limit-status",
        type=int,
        choices=(400, 429),
        default=400,
        help="HTTP status of rate-limit codes 4/80007/130429 (400 now, 429 older docs)",
    )
    p.add_argument(
        "--retry-after",
        dest="retry_after",
        action="store_true",
        default=False,
        help="add the catalogue's Retry-After to rate-limit answers (Meta documents none, so "
        "it is off by default)",
    )
    p.add_argument(
        "--no-retry-after",
        dest="retry_after",
        action="store_false",
        help="answer rate limits without Retry-After (the default)",
    )
    p.add_argument(
        "--is-transient",
        action="store_true",
        help="add the catalogue's is_transient flag to error bodies (not in Meta's WhatsApp "
        "error syntax, so off by default)",
    )
    p.add_argument(
        "--sync-failures",
        action="store_true",
        help="answer the window limit's 131047 with a synchronous 400 instead of Meta's usual "
        "200 + failed status webhook",
    )
    p.add_argument(
        "--limits",
        default="",
        help=f"limits on from the start: 'all' or a comma list of {', '.join(LIMITS)}",
    )
    p.add_argument(
        "--clock-speed",
        type=float,
        default=1.0,
        help="simulated seconds per real second (compress time)",
    )
    p.add_argument("--seed", type=int, help="reproducible ids and fault draws")
    p.add_argument("--log-level", default="info", help="uvicorn log level")
    p.set_defaults(func=run)


def _default_channel(tenant_id: str) -> str | None:
    t = Tenant()
    return {t.phone_number_id: "wa", t.page_id: "msg", t.ig_account_id: "ig"}.get(tenant_id)


def grants_from(values: list[str]) -> list[TokenGrant]:
    """Token grants from ``--tokens`` values (files or specs)."""
    grants: list[TokenGrant] = []
    for value in values:
        try:
            if Path(value).is_file():
                grants += load_grants(value)
            elif ":" not in value.partition("=")[0]:
                tenant, _, token = value.partition("=")
                channel = _default_channel(tenant)
                if channel is None:
                    raise ValueError(
                        f"cannot tell the channel of tenant {tenant!r}: write wa:{value}, "
                        f"msg:{value} or ig:{value}"
                    )
                grants.append(TokenGrant(tenant, channel, token))
            else:
                grants.append(parse_grant(value))
        except ValueError as exc:
            raise CliError(str(exc)) from exc
    return grants


def config_from(args: argparse.Namespace) -> GraphConfig:
    """The GraphConfig the options describe."""
    limits: tuple[str, ...] = ()
    if args.limits:
        limits = LIMITS if args.limits == "all" else tuple(args.limits.split(","))
        unknown = sorted(set(limits) - set(LIMITS))
        if unknown:
            raise CliError(f"unknown limits {unknown}; use 'all' or some of {', '.join(LIMITS)}")
    if args.callbacks_to and not args.secret:
        raise CliError("--callbacks-to needs --secret (the app secret the gateway verifies)")
    return GraphConfig(
        grants=grants_from(args.tokens) if args.tokens else default_grants(),
        strict=args.strict,
        rate_limit_status=args.rate_limit_status,
        retry_after_header=args.retry_after,
        is_transient_field=args.is_transient,
        async_failures=not args.sync_failures,
        seed=args.seed,
        callbacks=CallbackSettings(to=args.callbacks_to, secret=args.secret),
        limits=limits,
        clock_speed=args.clock_speed,
    )


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted."""
    config = config_from(args)
    app = create_graph_app(config)
    mode = "strict" if config.strict else "lenient"
    print(
        f"fake Graph API on http://{args.host}:{args.port} ({mode}); control API under /__metasim/"
    )
    if not args.tokens:
        print(f"dev token for the default tenants: {DEFAULT_TOKEN}")
    serve(app, args.host, args.port, args.log_level)
    return 0
