"""Soak: steady traffic through a real gateway with short retention; the store must level off.

``python -m tests.gateway.durability.soak --duration 90`` (``make soak``) starts the fake Graph
API and one ``metasim-gateway serve`` on SQLite (``--backend redis``: on a Redis server started
for the run), sends steady signed texts (with Meta-style redeliveries), and samples the store
every ``--every`` seconds: records per kind, and the bytes the store really uses (SQLite: pages
in use, not the file size, which never shrinks; Redis: ``used_memory``). With retention
shortened to ``--retention`` seconds, sent replies and dedupe marks are swept as fast as they
come, so the counts stop growing after about one retention period instead of rising with the
traffic. Exit 1 if the last third of the run still grows.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sqlite3
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from metasim.simulator.load.chaos_traffic import TrafficPlan, run_traffic
from metasim.simulator.load.redis_server import redis_server
from metasim.simulator.load.stack import SECRET, Stack

TABLES = ("inbox", "outbox", "dedupe", "quarantine")


@dataclass
class Sample:
    """The store at one moment of the run."""

    at: float  # seconds since the traffic started
    rows: dict[str, int]
    used_bytes: int  # (page_count - freelist_count) * page_size
    file_bytes: int  # the .db file plus its WAL


def sample(db: Path, at: float) -> Sample:
    """Read the store's row counts and sizes through a read-only connection."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        rows = {t: int(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in TABLES}
        pages = con.execute("PRAGMA page_count").fetchone()[0]
        free = con.execute("PRAGMA freelist_count").fetchone()[0]
        size = con.execute("PRAGMA page_size").fetchone()[0]
    finally:
        con.close()
    wal = db.with_name(db.name + "-wal")
    files = db.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
    return Sample(round(at, 1), rows, (pages - free) * size, files)


def sample_redis(url: str, prefix: str, at: float) -> Sample:
    """Records per kind (keys by pattern, queue lengths) and Redis's ``used_memory``."""
    import redis

    r = redis.Redis.from_url(url)
    try:

        def count(pattern: str) -> int:
            return sum(1 for _ in r.scan_iter(match=f"{prefix}:{pattern}", count=1000))

        rows = {
            "inbox": int(r.llen(f"{prefix}:inbox:new")) + int(r.zcard(f"{prefix}:inbox:leased")),
            "outbox": count("out:*"),
            "dedupe": count("dedupe:*"),
            "quarantine": int(r.zcard(f"{prefix}:quarantine")),
        }
        used = int(r.info("memory")["used_memory"])
    finally:
        r.close()
    return Sample(round(at, 1), rows, used, 0)


def levelled(samples: list[Sample], slack: float = 0.15) -> bool:
    """True when the finished rows stop growing: over the last third of the run, the sent
    outbox rows and dedupe marks stay within ``slack`` of where that third began."""
    tail = samples[len(samples) * 2 // 3 :]
    if len(tail) < 2:
        return False
    first, peak = tail[0], tail[-1]
    for table in ("outbox", "dedupe"):
        start = max(first.rows[table], 1)
        if max(s.rows[table] for s in tail) > start * (1 + slack) + 20:
            return False
    return peak.used_bytes <= first.used_bytes * (1 + slack) + 64 * 1024


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.gateway.durability.soak", description=__doc__)
    p.add_argument("--duration", type=float, default=90.0, help="seconds of traffic")
    p.add_argument("--rate", type=float, default=20.0, help="webhooks per second")
    p.add_argument("--retention", type=float, default=15.0, help="retention of every kind, s")
    p.add_argument("--every", type=float, default=10.0, help="seconds between samples")
    p.add_argument("--backend", choices=("sqlite", "redis"), default="sqlite")
    p.add_argument("--json", type=Path, help="also write the samples here")
    args = p.parse_args(argv)
    keep = str(args.retention)
    env = {
        "OUTBOX_SENT_RETENTION_SECONDS": keep,
        "QUARANTINE_RETENTION_SECONDS": keep,
        "DEDUPE_WINDOW_SECONDS": keep,
        "RETENTION_SWEEP_SECONDS": str(max(1.0, args.retention / 5)),
    }
    samples: list[Sample] = []
    with contextlib.ExitStack() as resources:
        store_url = None
        if args.backend == "redis":
            tmp = resources.enter_context(tempfile.TemporaryDirectory(prefix="metasim-soak-"))
            store_url = resources.enter_context(redis_server(Path(tmp))) + "?prefix=soak"
        stack = resources.enter_context(Stack(store_url, env=env, callbacks=False))
        db = Path(stack.store_url.removeprefix("sqlite:///"))
        started = time.monotonic()

        def take() -> Sample:
            at = time.monotonic() - started
            if store_url is not None:
                return sample_redis(store_url.split("?")[0], "soak", at)
            return sample(db, at)

        plan = TrafficPlan(SECRET, stack.webhook_url, rate=args.rate, duration=args.duration)
        done = threading.Event()

        def sampler() -> None:
            while not done.wait(args.every):
                samples.append(take())

        thread = threading.Thread(target=sampler, name="soak-sampler", daemon=True)
        thread.start()
        traffic = asyncio.run(run_traffic(plan))
        done.set()
        thread.join()
        samples.append(take())
    ok = levelled(samples) and not traffic.unacked
    print(f"soak ({args.backend}): {traffic.sent} webhooks ({traffic.redeliveries} redelivered) "
          f"at {args.rate}/s, retention {args.retention:g} s")  # fmt: skip
    print(f"{'t (s)':>6} {'inbox':>6} {'outbox':>7} {'dedupe':>7} {'quar.':>6} "
          f"{'used KiB':>9} {'file KiB':>9}")  # fmt: skip
    for s in samples:
        r = s.rows
        print(f"{s.at:>6.0f} {r['inbox']:>6} {r['outbox']:>7} {r['dedupe']:>7} "
              f"{r['quarantine']:>6} {s.used_bytes // 1024:>9} {s.file_bytes // 1024:>9}")  # fmt: skip
    print("verdict: " + ("OK, the store levels off" if ok else "FAILED, the store keeps growing"))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        body = {"args": vars(args) | {"json": str(args.json)}, "ok": ok,
                "samples": [asdict(s) for s in samples]}  # fmt: skip
        args.json.write_text(json.dumps(body, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
