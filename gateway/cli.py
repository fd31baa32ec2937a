"""``metasim-gateway``: serve the reference gateway (both processes, or each alone), or check
its configuration (preflight)."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable, Sequence

from metasim.gateway import preflight
from metasim.gateway.settings import ConfigError, Settings

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"  # gateway.observability.metrics reads the same name

Command = Callable[[argparse.Namespace], int]


def _settings() -> Settings | None:
    try:
        return Settings.from_env()
    except ConfigError as exc:
        sys.stderr.write(f"metasim-gateway: {exc}\n")
        return None


def _serve(args: argparse.Namespace) -> int:
    settings = _settings()
    if settings is None:
        return 2
    if args.no_worker:
        return _run(args, settings, worker_process=False, http_only=True)
    if settings.workers == "process":
        # before prometheus_client is imported (it picks its value store at import time): the
        # worker process inherits the directory, and /metrics sums both processes' samples
        with tempfile.TemporaryDirectory(prefix="metasim-gateway-metrics-") as metrics_dir:
            os.environ[MULTIPROC_ENV] = metrics_dir
            try:
                return _run(args, settings, worker_process=True)
            finally:
                os.environ.pop(MULTIPROC_ENV, None)
    return _run(args, settings, worker_process=False)


def _http(args: argparse.Namespace) -> int:
    args.no_worker = True
    return _serve(args)


def _worker(args: argparse.Namespace) -> int:
    """The worker alone, on the store the HTTP process writes (a SQLite file or Redis)."""
    settings = _settings()
    if settings is None:
        return 2
    from metasim.gateway.split import alone
    from metasim.gateway.tenants import ClientsFileError

    if settings.env == "prod":
        problems = preflight.check(settings)
        if problems:
            sys.stderr.write(f"metasim-gateway: {ConfigError(problems)}\n")
            return 2
    try:
        alone.run(settings, args.host or settings.host, args.port)
    except ClientsFileError as exc:
        sys.stderr.write(f"metasim-gateway: {exc}\n")
        return 2
    return 0


def _run(
    args: argparse.Namespace, settings: Settings, *, worker_process: bool, http_only: bool = False
) -> int:
    import uvicorn

    from metasim.gateway.app import create_app
    from metasim.gateway.tenants import ClientsFileError

    try:
        app = create_app(settings, worker_process=worker_process, http_only=http_only)
    except (ConfigError, ClientsFileError) as exc:
        sys.stderr.write(f"metasim-gateway: {exc}\n")
        return 2
    host = args.host or settings.host
    port = args.port if args.port is not None else settings.port
    # the gateway writes its own JSON logs; uvicorn's access log would double the cost per
    # request. log_config=None: uvicorn installs no text handlers, its lines reach the JSON log
    # (configure_logging, called by create_app, routes stdlib logging there)
    uvicorn.run(app, host=host, port=port, access_log=False, log_level="warning",
                lifespan="on", log_config=None)  # fmt: skip
    return 0


def _preflight(args: argparse.Namespace) -> int:
    return preflight.main()


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, Command]]:
    """The argument parser and the command table (backup/restore/dlq register here too)."""
    parser = argparse.ArgumentParser(
        prog="metasim-gateway",
        description="The metasim reference gateway (configured by env vars, see .env.example).",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    commands: dict[str, Command] = {}

    serve = sub.add_parser(
        "serve", help="run the gateway: the HTTP process and its supervised worker process"
    )
    serve.add_argument(
        "--no-worker",
        action="store_true",
        help="the HTTP process alone (as `http`): run `metasim-gateway worker` beside it",
    )
    http = sub.add_parser(
        "http", help="the HTTP process alone (ACKs, admin, metrics); the worker runs apart"
    )
    worker = sub.add_parser(
        "worker", help="the worker alone (stages, sends, DLQ schedule, retention) on the store"
    )
    for command in (serve, http):
        command.add_argument(
            "--host", default=None, help="bind address (default GATEWAY_HOST or 127.0.0.1)"
        )
        command.add_argument(
            "--port", type=int, default=None, help="port (default GATEWAY_PORT or 8080)"
        )
    worker.add_argument(
        "--host", default=None, help="probe port's bind address (default GATEWAY_HOST)"
    )
    worker.add_argument(
        "--port",
        type=int,
        default=None,
        help="serve /health, /ready, /metrics on this port (default: no port)",
    )
    commands.update(serve=_serve, http=_http, worker=_worker)

    sub.add_parser("preflight", help="list every configuration problem; exit 1 if any")
    commands["preflight"] = _preflight
    from metasim.gateway import ops_cli  # backup, restore, dlq (GW-OUT)

    ops_cli.register(sub, commands)
    return parser, commands


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    parser, commands = build_parser()
    args = parser.parse_args(argv)
    return commands[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
