"""``metasim-gateway backup | restore | dlq``: operations on the store from the command line."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Callable
from typing import Any

from metasim.gateway import backup as snapshots
from metasim.gateway.settings import ConfigError, Settings
from metasim.gateway.store import open_store
from metasim.gateway.store.base import Store

Command = Callable[[argparse.Namespace], int]


def register(sub: Any, commands: dict[str, Command]) -> None:
    """Add the three subcommands to ``metasim-gateway``'s parser and command table."""
    b = sub.add_parser("backup", help="snapshot the store into BACKUP_DIR, prune old snapshots")
    b.add_argument("--dir", default=None, help="snapshot folder (default BACKUP_DIR)")
    b.add_argument("--retention-days", type=int, default=None, help="default BACKUP_RETENTION_DAYS")
    commands["backup"] = _backup
    r = sub.add_parser("restore", help="bring the store back to a snapshot")
    r.add_argument("snapshot", nargs="?", help="snapshot file (default: the newest in BACKUP_DIR)")
    r.add_argument("--dir", default=None, help="snapshot folder (default BACKUP_DIR)")
    commands["restore"] = _restore
    d = sub.add_parser("dlq", help="list, replay or purge the dead-letter queue")
    d.add_argument("action", choices=("list", "replay", "purge"))
    d.add_argument("keys", nargs="*", help="outbox keys (default: all)")
    d.add_argument("--force", action="store_true", help="replay permanent failures too")
    d.add_argument("--limit", type=int, default=100)
    commands["dlq"] = _dlq


def _with_store(fn: Callable[[Store, Settings], Any]) -> int:
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        sys.stderr.write(f"metasim-gateway: {exc}\n")
        return 2

    async def go() -> int:
        store = open_store(settings.store_url, retention=settings.retention())
        try:
            return int(await fn(store, settings))
        finally:
            await store.close()

    try:
        return asyncio.run(go())
    except (OSError, ValueError) as exc:
        sys.stderr.write(f"metasim-gateway: {type(exc).__name__}: {exc}\n")
        return 1


def _backup(args: argparse.Namespace) -> int:
    async def run(store: Store, s: Settings) -> int:
        folder = args.dir or s.backup_dir
        days = s.backup_retention_days if args.retention_days is None else args.retention_days
        now = time.time()
        path = await snapshots.backup(store, folder, now)
        removed = snapshots.prune(folder, days, now)
        print(json.dumps({"snapshot": str(path), "pruned": [str(p) for p in removed]}))
        return 0

    return _with_store(run)


def _restore(args: argparse.Namespace) -> int:
    async def run(store: Store, s: Settings) -> int:
        path = args.snapshot or snapshots.latest(args.dir or s.backup_dir)
        if path is None:
            sys.stderr.write(f"metasim-gateway: no snapshot in {args.dir or s.backup_dir}\n")
            return 1
        await store.restore(str(path))
        print(json.dumps({"restored": str(path)}))
        return 0

    return _with_store(run)


def _dlq(args: argparse.Namespace) -> int:
    async def run(store: Store, s: Settings) -> int:
        keys = args.keys or None
        if args.action == "list":
            items = await store.dlq_list(args.limit)
            for d in items:
                row = {"key": d.item.key, "reason": d.reason, "replayable": d.replayable}
                print(json.dumps({**row, "attempts": d.item.attempts, "error": d.item.last_error}))
        elif args.action == "replay":
            replayed = await store.dlq_replay(keys, time.time(), force=args.force)
            print(json.dumps({"replayed": replayed}))
        else:
            print(json.dumps({"purged": await store.dlq_purge(keys)}))
        return 0

    return _with_store(run)
