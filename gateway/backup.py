"""Timestamped store snapshots with retention (backlog P2-05: 7 days by default)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from metasim.gateway.store.base import Store

# gateway-20260301T020000Z.sqlite / .redis.jsonl: the time in the name, not the file's mtime,
# decides retention, so copying snapshots elsewhere (rsync, restore drills) keeps their age
NAME = re.compile(r"^gateway-(\d{8}T\d{6}Z)\.(sqlite|redis\.jsonl)$")
STAMP = "%Y%m%dT%H%M%SZ"


def _suffix(store: Store) -> str:
    from metasim.gateway.store.sqlite import SqliteStore

    return "sqlite" if isinstance(store, SqliteStore) else "redis.jsonl"


async def backup(store: Store, dir: str | Path, now: float) -> Path:
    """Write one snapshot of ``store`` into ``dir``; its path."""
    stamp = datetime.fromtimestamp(now, UTC).strftime(STAMP)
    path = Path(dir) / f"gateway-{stamp}.{_suffix(store)}"
    return Path(await store.backup(str(path)))


def snapshots(dir: str | Path) -> list[tuple[float, Path]]:
    """(time, path) of every snapshot in ``dir``, oldest first."""
    found = []
    folder = Path(dir)
    if not folder.is_dir():
        return []
    for path in folder.iterdir():
        m = NAME.match(path.name)
        if m:
            at = datetime.strptime(m.group(1), STAMP).replace(tzinfo=UTC).timestamp()
            found.append((at, path))
    return sorted(found)


def prune(dir: str | Path, days: int, now: float) -> list[Path]:
    """Delete snapshots older than ``days`` days; the paths removed.

    The newest snapshot is always kept, however old: pruning must never leave no backup at
    all (a gateway whose backups stopped a week ago still has its last good one).
    """
    found = snapshots(dir)
    cutoff = now - days * 86_400
    removed = []
    for at, path in found[:-1]:
        if at < cutoff:
            path.unlink()
            removed.append(path)
    return removed


def latest(dir: str | Path) -> Path | None:
    """The newest snapshot in ``dir``, or None."""
    found = snapshots(dir)
    return found[-1][1] if found else None
