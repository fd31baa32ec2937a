"""Run the n8n gateway locally: preflight in prod, a Redis beside it, then `n8n start` (make n8n)."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from metasim.gateway.preflight import mock_reason
from metasim.simulator.load.redis_server import server_binary
from metasim.simulator.net import free_port

ROOT = Path(__file__).resolve().parent.parent
RUNTIME = ROOT / ".n8n"
N8N = RUNTIME / "node_modules" / ".bin" / "n8n"
TEMPLATE = RUNTIME / "home"  # the user folder `make n8n` imported and published the workflows in
SEND_URLS = ("WA_SEND_URL", "IG_SEND_URL", "MSG_SEND_URL")

# n8n's own settings (docs/n8n.md): loopback only, no telemetry, env readable by Code nodes,
# the three Node built-ins the Code nodes require, and a short shutdown so restarts are quick.
N8N_ENV = {
    "N8N_LISTEN_ADDRESS": "127.0.0.1",
    "N8N_HOST": "127.0.0.1",
    "N8N_DIAGNOSTICS_ENABLED": "false",
    "N8N_PERSONALIZATION_ENABLED": "false",
    "N8N_VERSION_NOTIFICATIONS_ENABLED": "false",
    "N8N_TEMPLATES_ENABLED": "false",
    "N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS": "true",
    "N8N_SECURE_COOKIE": "false",
    "DB_TYPE": "sqlite",
    "GENERIC_TIMEZONE": "UTC",
    "N8N_BLOCK_ENV_ACCESS_IN_NODE": "false",
    "NODE_FUNCTION_ALLOW_BUILTIN": "crypto,fs,net",
    "N8N_METRICS": "true",
    "N8N_GRACEFUL_SHUTDOWN_TIMEOUT": "3",
    "EXECUTIONS_DATA_SAVE_ON_SUCCESS": "none",
    "EXECUTIONS_DATA_SAVE_ON_ERROR": "none",
    "EXECUTIONS_DATA_SAVE_MANUAL_EXECUTIONS": "false",
    "N8N_LOG_LEVEL": "warn",
}
STAMP = "%Y%m%dT%H%M%SZ"
ENCRYPTION_KEY = "metasim-n8n-local-key-0123456789"  # the local user folder's, not a secret


def problems(env: dict[str, str]) -> list[str]:
    """The backlog's preflight (P0-04, P1-05): every problem, each naming its variable."""
    found = []
    prod = env.get("GATEWAY_ENV") == "prod"
    if not env.get("META_APP_SECRET"):
        found.append("META_APP_SECRET is empty: signatures cannot be checked")
    for name in SEND_URLS:
        url = env.get(name, "")
        if not url:
            found.append(f"{name} is not set: replies have nowhere to go")
        elif prod and (reason := mock_reason(url)):
            # the reference gateway's own rule: mock names, mock ports, local and private hosts
            found.append(f"{name}={url} points at a mock in prod: {reason}")
    mode = env.get("META_SIGNATURE_REQUIRED", "warn") or "warn"
    if mode == "off":
        found.append("META_SIGNATURE_REQUIRED=off: unsigned webhooks would be processed")
    return found


def preflight(env: dict[str, str]) -> int:
    found = problems(env)
    for line in found:
        print(f"preflight: {line}", file=sys.stderr)
    if not found:
        print("preflight: OK")
    return 1 if found else 0


def user_folder(tmp: Path) -> Path:
    """A copy of the imported user folder for this run (its own database and executions)."""
    home = tmp / "n8n-home"
    if not (home / ".n8n" / "database.sqlite").is_file():
        if not (TEMPLATE / ".n8n" / "database.sqlite").is_file():
            raise SystemExit(
                "n8n gateway: no imported workflows in .n8n/home: run `make n8n` first"
            )
        shutil.rmtree(home, ignore_errors=True)
        shutil.copytree(TEMPLATE, home)
    return home


def serve(tmp: Path, port: str) -> int:
    if not N8N.is_file():
        raise SystemExit("n8n gateway: n8n is not installed in .n8n/: run `make n8n` first")
    env = dict(os.environ)
    if env.get("GATEWAY_ENV") == "prod" and preflight(env):
        return 1  # production refuses to start with a problem (the backlog's compose check)
    home = user_folder(tmp)
    redis_dir = tmp / "redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    redis_port = free_port()
    (redis_dir / "port").write_text(str(redis_port), encoding="utf-8")  # for `backup`
    # appendfsync always: dedupe marks, outbox and DLQ survive a restart of the pair
    redis = subprocess.Popen(
        [server_binary(), "--bind", "127.0.0.1", "--port", str(redis_port), "--dir", str(redis_dir),
         "--appendonly", "yes", "--appendfsync", "always", "--save", ""],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    n8n_env = {**N8N_ENV, **env, "N8N_USER_FOLDER": str(home), "N8N_PORT": port}
    n8n_env.setdefault("N8N_ENCRYPTION_KEY", ENCRYPTION_KEY)
    n8n_env["REDIS_URL"] = env.get("REDIS_URL") or f"redis://127.0.0.1:{redis_port}/0"
    children = [redis]
    stopping: list[int] = []

    def stop(signum: int, _frame: object) -> None:
        # n8n alone: its graceful shutdown finishes running executions, which still need
        # Redis; Redis is stopped below once n8n has exited (a stop sent to the whole process
        # group, as the harness does, reaches Redis directly as well)
        stopping.append(signum)
        if len(children) > 1 and children[0].poll() is None:
            children[0].send_signal(signal.SIGTERM)

    # installed before n8n starts: a stop during its start must still reach the finally below
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        _wait_port(redis_port, redis)
        if stopping:
            return 0
        n8n = subprocess.Popen([str(N8N), "start"], env=n8n_env, cwd=str(home))
        children.insert(0, n8n)
        return n8n.wait()
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()


def backup(tmp: Path, folder: Path, keep_days: int = 7) -> int:
    """P2-05: a snapshot of the running Redis (SAVE, then copy its RDB), 7 days kept by name."""
    import redis as redis_client

    port_file = tmp / "redis" / "port"
    if not port_file.is_file():
        print(f"backup: no Redis was started for {tmp} (start the gateway first)", file=sys.stderr)
        return 1
    client = redis_client.Redis(
        host="127.0.0.1", port=int(port_file.read_text()), socket_timeout=10
    )
    try:
        client.save()
        dump = Path(str(client.config_get("dir")["dir"])) / str(
            client.config_get("dbfilename")["dbfilename"]
        )
    except redis_client.RedisError as exc:
        print(f"backup: Redis on port {port_file.read_text()}: {exc}", file=sys.stderr)
        return 1
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    target = folder / f"redis-{now.strftime(STAMP)}.rdb"
    shutil.copy2(dump, target)
    print(f"backup: {target}")
    for old in folder.glob("redis-*.rdb"):
        try:
            taken = datetime.strptime(old.stem.removeprefix("redis-"), STAMP).replace(tzinfo=UTC)
        except ValueError:
            continue  # not one of ours
        if now - taken > timedelta(days=keep_days):
            old.unlink()
            print(f"backup: pruned {old.name} (older than {keep_days} days)")
    return 0


def _wait_port(port: int, proc: subprocess.Popen[bytes]) -> None:
    import socket

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"n8n gateway: Redis exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit(f"n8n gateway: Redis did not open port {port} in 10 s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("serve", help="start Redis and n8n (stopped together by SIGTERM)")
    run.add_argument(
        "--tmp", required=True, type=Path, help="folder for this run's n8n and Redis data"
    )
    run.add_argument("--port", required=True, help="the loopback port n8n listens on")
    sub.add_parser("preflight", help="check the production settings; exit 1 naming each problem")
    save = sub.add_parser("backup", help="snapshot the gateway's Redis; keep 7 days of snapshots")
    save.add_argument("--tmp", required=True, type=Path, help="the folder `serve` was given")
    save.add_argument("--dir", required=True, type=Path, help="where snapshots are kept")
    args = parser.parse_args(argv)
    if args.command == "preflight":
        return preflight(dict(os.environ))
    if args.command == "backup":
        return backup(args.tmp, args.dir)
    return serve(args.tmp, args.port)


if __name__ == "__main__":
    raise SystemExit(main())
