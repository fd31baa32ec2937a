"""Snapshots: timestamped names, 7-day retention, restore; the backup/restore/dlq CLI."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from metasim.gateway import backup
from metasim.gateway.cli import main
from metasim.gateway.store import open_store
from tests.gateway.outbound.conftest import reply

DAY = 86_400.0


def ts(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def test_prune_removes_snapshots_older_than_retention_but_never_the_last(tmp_path: Path) -> None:
    names = [
        "gateway-20260220T020000Z.sqlite",  # 9 days before now
        "gateway-20260222T015959Z.sqlite",  # 7 days and 1 s
        "gateway-20260222T020001Z.sqlite",  # just inside 7 days
        "gateway-20260228T020000Z.redis.jsonl",
        "notes.txt",
    ]
    for name in names:
        (tmp_path / name).write_text("x")
    removed = backup.prune(tmp_path, 7, ts("2026-03-01T02:00:00"))
    assert sorted(p.name for p in removed) == names[:2]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names[2:])
    # all of them old: the newest stays anyway
    assert [p.name for p in backup.prune(tmp_path, 7, ts("2027-01-01T00:00:00"))] == [names[2]]
    assert backup.latest(tmp_path).name == names[3]  # type: ignore[union-attr]


def test_backup_then_restore_through_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "gateway.db"
    monkeypatch.setenv("GATEWAY_STORE", f"sqlite:///{db}")
    monkeypatch.setenv("BACKUP_DIR", str(tmp_path / "backups"))
    old = tmp_path / "backups" / "gateway-20200101T000000Z.sqlite"
    old.parent.mkdir()
    old.write_bytes(b"")

    async def put(key: str) -> None:
        store = open_store(f"sqlite:///{db}")
        await store.outbox_put(reply(key, 0.0))
        await store.close()

    asyncio.run(put("wa:wamid.BEFORE"))
    assert main(["backup"]) == 0
    out = json.loads(capsys.readouterr().out)
    snapshot = Path(out["snapshot"])
    assert snapshot.is_file() and backup.NAME.match(snapshot.name)
    assert out["pruned"] == [str(old)]  # 2020 is past the 7-day default
    asyncio.run(put("wa:wamid.AFTER"))
    assert main(["restore"]) == 0  # the newest snapshot
    assert json.loads(capsys.readouterr().out) == {"restored": str(snapshot)}

    async def keys() -> tuple[bool, bool]:
        store = open_store(f"sqlite:///{db}")
        try:
            return (
                await store.outbox_get("wa:wamid.BEFORE") is not None,
                await store.outbox_get("wa:wamid.AFTER") is not None,
            )
        finally:
            await store.close()

    assert asyncio.run(keys()) == (True, False)
    assert main(["restore", str(tmp_path / "nope.sqlite")]) == 1
    assert "no SQLite snapshot" in capsys.readouterr().err


def test_dlq_cli_lists_replays_and_purges(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'gateway.db'}"
    monkeypatch.setenv("GATEWAY_STORE", url)

    async def seed() -> None:
        store = open_store(url)
        for key, ok in (("wa:wamid.R", True), ("wa:wamid.P", False)):
            await store.outbox_put(reply(key, 0.0))
            [item] = await store.outbox_claim_due(1.0, 1, 30)
            await store.dlq_put(item, "graph-2" if ok else "graph-131026", ok)
        await store.close()

    asyncio.run(seed())
    assert main(["dlq", "list"]) == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert {r["key"]: r["replayable"] for r in rows} == {"wa:wamid.R": True, "wa:wamid.P": False}
    assert main(["dlq", "replay"]) == 0
    assert json.loads(capsys.readouterr().out) == {"replayed": ["wa:wamid.R"]}
    assert main(["dlq", "purge", "wa:wamid.P"]) == 0
    assert json.loads(capsys.readouterr().out) == {"purged": 1}
