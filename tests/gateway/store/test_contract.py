"""The store contract (gateway/store/base.py), run unchanged on SQLite and on a real Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from metasim.gateway.store import StoreURLError, open_store
from metasim.gateway.store.base import InboxEvent, OutboxItem, Quarantined, Retention, Store
from metasim.gateway.store.records import SnapshotError
from tests.gateway.store.conftest import Clock

pytestmark = pytest.mark.anyio

RAW = (
    b'{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[]}],"x":"caf\\u00e9\\/"}'
)


def event(n: int, at: float = 1_750_000_000.0) -> InboxEvent:
    return InboxEvent(
        event_id=f"ev-{n}",
        channel="wa",
        raw=RAW + str(n).encode(),
        received_at=at + n,
        correlation_id=f"corr-{n}",
    )


def item(key: str, due: float = 0.0) -> OutboxItem:
    return OutboxItem(
        key=key,
        channel="wa",
        client_id="acme",
        url="http://127.0.0.1:8089/v25.0/106540352242922/messages",
        body={"messaging_product": "whatsapp", "to": "33612345678", "text": {"body": "Bonjour"}},
        correlation_id=f"corr-{key}",
        msg_id=key.split(":", 1)[1],
        next_attempt_at=due,
        created_at=1_749_999_999.5,
    )


async def test_inbox_keeps_raw_bytes_and_leases_each_event_to_one_worker(
    store: Store, clock: Clock
) -> None:
    for n in range(3):
        await store.inbox_put(event(n))
    assert await store.inbox_depth() == 3
    first = await store.inbox_claim("w1", 2, 30)
    assert [e.event_id for e in first] == ["ev-0", "ev-1"]
    assert first[0].raw == RAW + b"0"
    assert first[0].attempts == 1 and first[0].correlation_id == "corr-0"
    second = await store.inbox_claim("w2", 10, 30)
    assert [e.event_id for e in second] == ["ev-2"]
    assert await store.inbox_claim("w3", 10, 30) == []
    await store.inbox_done("ev-0")
    assert await store.inbox_depth() == 2
    # the worker holding ev-1 dies: once its lease ends another worker gets it, attempt 2
    clock.now += 31
    again = await store.inbox_claim("w3", 10, 30)
    assert sorted(e.event_id for e in again) == ["ev-1", "ev-2"]
    assert {e.attempts for e in again} == {2}


async def test_a_claim_whose_answer_was_lost_is_taken_again_by_the_same_worker(
    store: Store,
) -> None:
    """The store ran the claim but the worker never got the answer (connection cut, client
    retry): its next claim gets those events back at once, not after the 30 s lease."""
    for n in range(3):
        await store.inbox_put(event(n))
    lost = await store.inbox_claim("w1", 2, 30)  # the answer the worker never saw
    assert [e.event_id for e in lost] == ["ev-0", "ev-1"]
    assert [e.event_id for e in await store.inbox_claim("w2", 10, 30)] == ["ev-2"]
    again = await store.inbox_claim("w1", 10, 30)
    assert sorted(e.event_id for e in again) == ["ev-0", "ev-1"]  # not w2's ev-2
    assert {e.attempts for e in again} == {2}
    assert await store.inbox_claim("w3", 10, 30) == []  # still leased, now to w1 again


async def test_concurrent_inbox_claims_never_share_an_event(store: Store) -> None:
    for n in range(20):
        await store.inbox_put(event(n))
    batches = await asyncio.gather(*(store.inbox_claim(f"w{i}", 3, 30) for i in range(10)))
    ids = [e.event_id for batch in batches for e in batch]
    assert len(ids) == 20 and len(set(ids)) == 20


async def test_dedupe_is_first_once_per_channel_and_message_inside_the_window(
    store: Store, clock: Clock
) -> None:
    assert await store.dedupe_first("wa", "wamid.A", 0.3) is True
    assert await store.dedupe_first("wa", "wamid.A", 0.3) is False
    assert await store.dedupe_first("ig", "wamid.A", 0.3) is True
    assert await store.dedupe_first("wa", "wamid.B", 0.3) is True
    # past the window the same id counts as new (SQLite reads the clock, Redis expires the key)
    clock.now += 0.5
    await asyncio.sleep(0.5)
    assert await store.dedupe_first("wa", "wamid.A", 0.3) is True


async def test_concurrent_dedupe_lets_exactly_one_caller_through(store: Store) -> None:
    results = await asyncio.gather(*(store.dedupe_first("wa", "wamid.R", 60) for _ in range(20)))
    assert results.count(True) == 1


async def test_outbox_key_is_accepted_once_ever(store: Store, clock: Clock) -> None:
    assert await store.outbox_put(item("wa:m1")) is True
    assert await store.outbox_put(item("wa:m1")) is False
    [claimed] = await store.outbox_claim_due(clock.now, 10, 30)
    await store.outbox_sent(claimed.key, {"messages": [{"id": "wamid.OUT"}]})
    assert await store.outbox_put(item("wa:m1")) is False  # sent: still refused
    await store.outbox_put(item("wa:m2"))
    [m2] = await store.outbox_claim_due(clock.now, 10, 30)
    await store.dlq_put(m2, "graph-131026", replayable=False)
    await store.dlq_purge(["wa:m2"])
    assert await store.outbox_put(item("wa:m2")) is False  # dead then purged: still refused


async def test_outbox_claims_only_due_items_and_each_once(store: Store, clock: Clock) -> None:
    now = clock.now
    await store.outbox_put(item("wa:now", due=now - 1))
    await store.outbox_put(item("wa:later", due=now + 60))
    assert await store.outbox_depth() == 2
    [got] = await store.outbox_claim_due(now, 10, 30)
    assert got.key == "wa:now" and got.attempts == 1 and got.state == "inflight"
    assert got.body["text"] == {"body": "Bonjour"} and got.created_at == 1_749_999_999.5
    assert await store.outbox_claim_due(now, 10, 30) == []  # inflight is not claimed again
    [later] = await store.outbox_claim_due(now + 61, 10, 30)
    assert later.key == "wa:later"


async def test_two_racing_claimers_never_get_the_same_item(store: Store, clock: Clock) -> None:
    for n in range(30):
        await store.outbox_put(item(f"wa:m{n}", due=clock.now))
    batches = await asyncio.gather(*(store.outbox_claim_due(clock.now, 4, 30) for _ in range(12)))
    keys = [i.key for batch in batches for i in batch]
    assert len(keys) == 30 and len(set(keys)) == 30


async def test_retry_later_requeues_with_error_and_counts_attempts(
    store: Store, clock: Clock
) -> None:
    await store.outbox_put(item("wa:r", due=clock.now))
    await store.outbox_claim_due(clock.now, 10, 30)
    await store.outbox_retry_later("wa:r", clock.now + 5, "HTTP 503 code 2")
    assert await store.outbox_claim_due(clock.now + 4, 10, 30) == []
    [second] = await store.outbox_claim_due(clock.now + 5, 10, 30)
    assert second.attempts == 2 and second.last_error == "HTTP 503 code 2"
    await store.outbox_sent("wa:r", {"messages": [{"id": "wamid.X"}]})
    sent = await store.outbox_get("wa:r")
    assert sent is not None and sent.state == "sent"
    assert await store.outbox_depth() == 0
    assert await store.outbox_get("wa:none") is None


async def test_recover_dead_letters_only_items_whose_lease_ended(
    store: Store, clock: Clock
) -> None:
    await store.outbox_put(item("wa:crashed", due=clock.now))
    await store.outbox_claim_due(clock.now, 1, 10)  # lease ends at now + 10
    await store.outbox_put(item("wa:live", due=clock.now + 5))
    await store.outbox_claim_due(clock.now + 5, 1, 10)  # lease ends at now + 15
    assert await store.outbox_recover(clock.now + 9) == []
    clock.now += 12
    recovered = await store.outbox_recover(clock.now)
    assert [i.key for i in recovered] == ["wa:crashed"]
    [dead] = await store.dlq_list()
    assert dead.item.key == "wa:crashed" and dead.reason == "inflight-at-crash"
    assert dead.replayable is False  # the send may have happened: no automatic replay
    assert await store.dlq_depth() == 1 and await store.outbox_depth() == 1


async def test_dlq_replays_replayable_items_unless_forced_and_purges(
    store: Store, clock: Clock
) -> None:
    for key in ("wa:a", "wa:b", "wa:c"):
        await store.outbox_put(item(key, due=clock.now))
    claimed = {i.key: i for i in await store.outbox_claim_due(clock.now, 10, 30)}
    claimed["wa:a"].last_error = "HTTP 503 code 131016"
    await store.dlq_put(claimed["wa:a"], "max-attempts: graph-131016", replayable=True)
    clock.now += 1
    await store.dlq_put(claimed["wa:b"], "graph-131026", replayable=False)
    clock.now += 1
    await store.dlq_put(claimed["wa:c"], "graph-2", replayable=True)
    assert await store.outbox_depth() == 0 and await store.dlq_depth() == 3
    listed = await store.dlq_list()
    assert [d.item.key for d in listed] == ["wa:a", "wa:b", "wa:c"]
    assert listed[0].item.last_error == "HTTP 503 code 131016" and listed[0].item.attempts == 1
    assert await store.dlq_replay(["wa:a", "wa:b"], clock.now) == ["wa:a"]
    assert await store.dlq_replay(None, clock.now) == ["wa:c"]
    replayed = await store.outbox_claim_due(clock.now, 10, 30)
    assert sorted(i.key for i in replayed) == ["wa:a", "wa:c"]
    assert {i.attempts for i in replayed} == {1}  # a replay starts the attempt count afresh
    assert await store.dlq_replay(None, clock.now, force=True) == ["wa:b"]
    await store.outbox_claim_due(clock.now, 10, 30)
    await store.dlq_put(claimed["wa:b"], "graph-131026", replayable=False)
    assert await store.dlq_purge(["wa:b", "wa:unknown"]) == 1
    assert await store.dlq_depth() == 0 and await store.dlq_list() == []


async def test_quarantine_lists_gets_and_purges(store: Store, clock: Clock) -> None:
    for n, reason in enumerate(["unknown-tenant", "contract-invalid", "malformed"]):
        await store.quarantine_put(
            Quarantined(f"q{n}", "wa", reason, RAW, f"corr-{n}", clock.now + n, {"where": "$"})
        )
    assert await store.quarantine_depth() == 3
    listed = await store.quarantine_list()
    assert [q.reason for q in listed] == ["unknown-tenant", "contract-invalid", "malformed"]
    assert listed[0].raw == RAW and listed[0].detail == {"where": "$"}
    [got] = await store.quarantine_get(["q1", "q-missing"])
    assert got.quarantine_id == "q1" and got.correlation_id == "corr-1"
    assert await store.quarantine_purge(["q1", "q-missing"]) == 1
    assert await store.quarantine_purge(["q1"]) == 0  # purged once only
    assert await store.quarantine_purge(None) == 2
    assert await store.quarantine_depth() == 0


async def test_backup_then_restore_brings_the_snapshot_state_back(
    store: Store, clock: Clock, tmp_path: Path
) -> None:
    await store.inbox_put(event(1))
    await store.outbox_put(item("wa:kept", due=clock.now))
    await store.dedupe_first("wa", "wamid.kept", 3600)
    path = await store.backup(str(tmp_path / "snap" / "gateway.snapshot"))
    assert Path(path).is_file()
    await store.inbox_done("ev-1")
    await store.outbox_put(item("wa:after", due=clock.now))
    await store.restore(path)
    assert await store.inbox_depth() == 1
    assert await store.outbox_get("wa:after") is None
    assert await store.outbox_put(item("wa:kept")) is False
    assert await store.dedupe_first("wa", "wamid.kept", 3600) is False


async def test_restore_refuses_a_file_that_is_not_a_snapshot(store: Store, tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.snapshot"
    bogus.write_text("hello\n")
    with pytest.raises(SnapshotError, match="not a gateway"):
        await store.restore(str(bogus))
    with pytest.raises(SnapshotError, match=r"no .* snapshot at"):
        await store.restore(str(tmp_path / "missing.snapshot"))


async def test_sqlite_state_survives_reopening_the_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db' / 'gateway.db'}"
    first = open_store(url)
    await first.inbox_put(event(7))
    await first.outbox_put(item("wa:m7"))
    await first.close()
    second = open_store(url)
    assert await second.inbox_depth() == 1
    assert await second.outbox_put(item("wa:m7")) is False
    await second.close()


def test_open_store_rejects_an_unknown_url() -> None:
    with pytest.raises(StoreURLError, match=r"sqlite:///"):
        open_store("postgres://localhost/gw")
    with pytest.raises(StoreURLError, match="names no file"):
        open_store("sqlite:///")


async def test_every_claim_of_an_unfinished_event_counts_one_attempt(
    store: Store, clock: Clock
) -> None:
    """The worker's poison cap (INBOX_MAX_ATTEMPTS) reads this count: a worker that dies
    holding an event (its lease ends) or loses a claim's answer still adds one attempt."""
    await store.inbox_put(event(0))
    seen = []
    for n in range(6):
        [claimed] = await store.inbox_claim(f"w{n % 2}", 10, 30)
        seen.append(claimed.attempts)
        clock.now += 31  # the holder died: its lease ends
    [again] = await store.inbox_claim("w9", 10, 30)
    [lost] = await store.inbox_claim("w9", 10, 30)  # w9's answer was lost: taken again
    assert seen == [1, 2, 3, 4, 5, 6] and (again.attempts, lost.attempts) == (7, 8)
    await store.inbox_done("ev-0")
    assert await store.inbox_claim("w9", 10, 30) == []


async def test_an_event_put_twice_is_claimed_once_and_keeps_its_attempts(
    store: Store, clock: Clock
) -> None:
    """A quarantine replay repeated (or racing the worker) writes an event id that is already
    in the inbox: it must stay one event, its attempt count (the poison cap's) untouched."""
    await store.inbox_put(event(0))
    [first] = await store.inbox_claim("w1", 10, 30)
    await store.inbox_put(event(0))
    clock.now += 31  # w1 died holding it
    [again] = await store.inbox_claim("w2", 10, 30)
    assert (first.attempts, again.attempts) == (1, 2)
    assert await store.inbox_depth() == 1
    await store.inbox_done("ev-0")
    assert await store.inbox_claim("w3", 10, 30) == [] and await store.inbox_depth() == 0


async def test_an_older_sqlite_file_with_the_headers_column_still_opens_and_stores(
    tmp_path: Path,
) -> None:
    """Files written by earlier releases kept a never-read ``headers`` column (NOT NULL):
    opening one drops it, so puts keep working."""
    import sqlite3

    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE inbox (event_id TEXT PRIMARY KEY, channel TEXT NOT NULL, raw BLOB NOT NULL, "
        "headers TEXT NOT NULL, received_at REAL NOT NULL, correlation_id TEXT NOT NULL, "
        "attempts INTEGER NOT NULL DEFAULT 0, lease_until REAL NOT NULL DEFAULT 0, owner TEXT)"
    )
    db.execute("INSERT INTO inbox VALUES ('old-1', 'wa', x'7b7d', '{}', 1.0, 'c-old', 0, 0, NULL)")
    db.commit()
    db.close()
    store = open_store(f"sqlite:///{path}")
    try:
        await store.inbox_put(event(1))
        claimed = await store.inbox_claim("w", 10, 30)
        assert [e.event_id for e in claimed] == ["old-1", "ev-1"]
    finally:
        await store.close()


# -- retention ------------------------------------------------------------------------------------

SHORT = Retention(sent_seconds=0.3, quarantine_seconds=0.3)


@pytest.fixture
async def short_store(store_url: str, clock: Clock) -> AsyncIterator[Store]:
    """A store whose sent replies and quarantined events are kept 0.3 s."""
    s = open_store(store_url, clock=clock, retention=SHORT)
    yield s
    await s.close()


async def _quarantined(s: Store, qid: str, at: float) -> None:
    await s.quarantine_put(Quarantined(qid, "wa", "crash", b"{}", f"c-{qid}", at, {}))


async def test_sent_replies_and_quarantined_events_expire_after_their_retention(
    short_store: Store, clock: Clock
) -> None:
    """SQLite deletes them in the sweep (injected clock); Redis lets their keys' TTLs end
    (server clock) and trims the quarantine index in the sweep: the test moves both."""
    s = short_store
    await s.outbox_put(item("wa:sent"))
    await s.outbox_put(item("wa:pending", due=clock.now + 3600))
    await s.outbox_put(item("wa:dead"))
    for claimed in await s.outbox_claim_due(clock.now, 10, 30):
        if claimed.key == "wa:sent":
            await s.outbox_sent(claimed.key, {"messages": [{"id": "wamid.OUT"}]})
        else:
            await s.dlq_put(claimed, "graph-131026", replayable=False)
    await _quarantined(s, "q-old", clock.now)
    # inside the retention: everything still there
    await s.expire(clock.now)
    assert (await s.outbox_get("wa:sent")) is not None and await s.quarantine_depth() == 1
    clock.now += 0.5
    await asyncio.sleep(0.5)
    await _quarantined(s, "q-new", clock.now)
    await s.expire(clock.now)
    assert await s.outbox_get("wa:sent") is None  # expired
    assert await s.outbox_put(item("wa:sent")) is True  # the key is free again after the window
    pending = await s.outbox_get("wa:pending")
    assert pending is not None and pending.state == "pending"  # unsent work never expires
    assert [d.item.key for d in await s.dlq_list()] == ["wa:dead"]  # dead letters wait for a human
    assert [q.quarantine_id for q in await s.quarantine_list()] == ["q-new"]
    assert await s.quarantine_depth() == 1


async def test_the_default_retention_keeps_a_week_of_sent_replies(
    store: Store, clock: Clock
) -> None:
    await store.outbox_put(item("wa:kept"))
    [claimed] = await store.outbox_claim_due(clock.now, 10, 30)
    await store.outbox_sent(claimed.key, {})
    clock.now += 6 * 86400
    await store.expire(clock.now)
    assert await store.outbox_get("wa:kept") is not None
    assert await store.outbox_put(item("wa:kept")) is False
