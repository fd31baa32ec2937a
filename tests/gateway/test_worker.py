"""The inbox worker and the processing stages: order, parity, quarantine, seal, dedupe, crashes."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from metasim.gateway.pipeline import STAGE_NAMES, core
from metasim.gateway.pipeline.base import Job
from metasim.gateway.pipeline.build import process_runner
from metasim.gateway.runtime import Runtime
from metasim.gateway.store.base import InboxEvent
from metasim.gateway.tenants import Tenants
from metasim.gateway.worker import InboxWorker
from metasim.simulator import catalogue
from metasim.simulator.context import BuildContext, Tenant
from tests.gateway import stored
from tests.gateway.conftest import (
    APP_SECRET,
    VERIFY_TOKEN,
    fake_graph,
    make_runtime,
    meta_bytes,
    sign,
)

pytestmark = pytest.mark.anyio
NOW = 1767264532.0
EXAMPLE_TOKEN = "EAAGdevtokenACME0000000000000000000000000000000000"
PATHS = {"wa": "/webhook/wa", "ig": "/webhook/ig", "msg": "/webhook/msg"}


async def _deliver(
    client_for,
    rt: Runtime,
    payload: dict[str, Any],
    channel: str,
    cid: str,
    body: bytes | None = None,
) -> None:
    body = meta_bytes(payload) if body is None else body
    async with client_for(rt) as c:
        r = await c.post(
            PATHS[channel],
            content=body,
            headers={"X-Hub-Signature-256": sign(body), "X-Correlation-Id": cid},
        )
    assert r.status_code == 200, r.text


def _build(name: str, seed: int = 1, **kw: Any) -> dict[str, Any]:
    return catalogue.build(name, BuildContext.seeded(seed, now=NOW), **kw)


async def _drain(rt: Runtime) -> None:
    worker = InboxWorker(rt)
    while await worker.run_once():
        pass


_outbox = stored.outbox
_quarantine = stored.quarantine


# -- order and parity ----------------------------------------------------------------------------

PROCESSED_ORDER = list(STAGE_NAMES[: STAGE_NAMES.index("outbox") + 1])


@pytest.mark.parametrize(
    ("name", "channel"), [("wa.text", "wa"), ("ig.text", "ig"), ("msg.text", "msg")]
)
async def test_one_reply_queued_and_every_stage_logged_in_order(
    client_for, runtime, logs, name: str, channel: str
) -> None:
    payload = _build(name)
    await _deliver(client_for, runtime, payload, channel, cid=f"cid-{channel}")
    await _drain(runtime)
    (item,) = (await _outbox(runtime)).values()
    assert item.channel == channel and item.client_id == "acme"
    assert item.key == f"{channel}:{item.msg_id}"
    assert item.correlation_id == f"cid-{channel}"
    assert logs.stages(correlation_id=f"cid-{channel}") == PROCESSED_ORDER
    assert runtime.metrics.value("inbound_total", {"channel": channel, "outcome": "processed"}) == 1
    assert runtime.metrics.value("outbound_total", {"channel": channel, "outcome": "queued"}) == 1


async def test_stage_order_is_identical_across_channels(client_for, runtime, logs) -> None:
    orders = []
    for name, channel in (("wa.image", "wa"), ("ig.story_reply", "ig"), ("msg.postback", "msg")):
        await _deliver(client_for, runtime, _build(name), channel, cid=f"parity-{channel}")
        await _drain(runtime)
        orders.append(logs.stages(correlation_id=f"parity-{channel}"))
    assert orders[0] == orders[1] == orders[2] == PROCESSED_ORDER


def test_stages_tuple_is_the_backlog_order() -> None:
    assert STAGE_NAMES == (
        "parse", "signature", "ack", "contract", "resolve_client", "apply_auth", "seal",
        "token_ok", "dedupe", "core", "outbox",
    )  # fmt: skip


async def test_every_log_line_has_the_p2_02_fields(client_for, runtime, logs) -> None:
    await _deliver(client_for, runtime, _build("wa.text"), "wa", cid="fields")
    await _drain(runtime)
    for line in logs.lines:
        for key in ("timestamp", "level", "channel", "msg_id", "correlation_id", "stage"):
            assert key in line, (key, line)
        assert line["timestamp"].endswith("Z")
    worker_lines = [line for line in logs.lines if line["stage"] in PROCESSED_ORDER[3:]]
    assert worker_lines and all(line["msg_id"].startswith("wamid.") for line in worker_lines)


# -- receipts, batches, independence -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "channel", "kind"),
    [
        ("wa.status.read", "wa", "status"),
        ("wa.status.failed", "wa", "status"),
        ("wa.errors", "wa", "error"),
        ("ig.echo", "ig", "echo"),
        ("ig.read", "ig", "read"),
        ("ig.unreact", "ig", "reaction_removed"),
        ("msg.delivery", "msg", "delivery"),
        ("msg.read", "msg", "read"),
        ("msg.echo", "msg", "echo"),
        ("wa.reaction.removed", "wa", "reaction_removed"),
        ("msg.standby", "msg", "standby"),
    ],
)
async def test_receipts_are_acked_counted_and_not_answered(
    client_for, runtime, logs, name: str, channel: str, kind: str
) -> None:
    await _deliver(client_for, runtime, _build(name), channel, cid="receipt")
    await _drain(runtime)
    assert not await _outbox(runtime)
    assert not await _quarantine(runtime)
    assert runtime.metrics.value("ignored_total", {"channel": channel, "kind": kind}) == 1
    assert runtime.metrics.value("inbound_total", {"channel": channel, "outcome": "ignored"}) == 1


async def test_a_batch_gets_one_reply_per_message(client_for, runtime, logs) -> None:
    payload = _build("batch.wa.3x2x2")
    await _deliver(client_for, runtime, payload, "wa", cid="batch")
    await _drain(runtime)
    ids = {m["id"] for e in payload["entry"] for c in e["changes"] for m in c["value"]["messages"]}
    assert {item.msg_id for item in (await _outbox(runtime)).values()} == ids
    assert len(ids) == 12


async def test_a_mixed_batch_answers_messages_and_counts_statuses(
    client_for, runtime, logs
) -> None:
    payload = _build("batch.wa.mixed")
    values = [c["value"] for e in payload["entry"] for c in e["changes"]]
    n_messages = sum(len(v.get("messages", [])) for v in values)
    n_statuses = sum(len(v.get("statuses", [])) for v in values)
    await _deliver(client_for, runtime, payload, "wa", cid="mixed")
    await _drain(runtime)
    assert len(await _outbox(runtime)) == n_messages
    assert runtime.metrics.value("ignored_total", {"channel": "wa", "kind": "status"}) == n_statuses


async def test_one_invalid_message_is_quarantined_and_the_rest_answered(
    client_for, runtime, logs
) -> None:
    payload = _build("batch.ig.multi_entry")
    payload["entry"][2]["messaging"][0]["timestamp"] = "last tuesday"
    await _deliver(client_for, runtime, payload, "ig", cid="one-bad")
    await _drain(runtime)
    assert len(await _outbox(runtime)) == 3
    (q,) = await _quarantine(runtime)
    assert q.reason == "contract-invalid"
    assert q.detail["where"] == "entry[2].messaging[0]"
    assert any("timestamp" in e for e in q.detail["errors"])
    assert runtime.metrics.value("inbound_total", {"channel": "ig", "outcome": "quarantined"}) == 1
    assert runtime.metrics.value("errors_total", {"channel": "ig", "kind": "contract-invalid"}) == 1


# -- tenants, token, seal ------------------------------------------------------------------------


async def test_unknown_tenant_is_quarantined_and_never_answered(client_for, runtime, logs) -> None:
    payload = catalogue.build(
        "msg.text", BuildContext.seeded(1, now=NOW, tenant=Tenant(page_id="999000999000999"))
    )
    await _deliver(client_for, runtime, payload, "msg", cid="stranger")
    await _drain(runtime)
    assert not await _outbox(runtime)
    (q,) = await _quarantine(runtime)
    assert q.reason == "unknown-tenant" and q.detail["tenant_id"] == "999000999000999"
    assert q.raw == meta_bytes(payload)  # the whole raw webhook is kept, replayable
    assert logs.stages(correlation_id="stranger")[-1] == "resolve_client"


async def test_expired_token_is_quarantined(client_for, logs) -> None:
    rt = make_runtime()
    rt.tenants = Tenants.from_dict(
        {
            "clients": [
                {
                    "client_id": "old",
                    "channels": {"wa": ["106540352242922"]},
                    "token": "EAA-expired-token",
                    "token_expires_at": "2020-01-01T00:00:00Z",
                }
            ]
        }
    )
    await _deliver(client_for, rt, _build("wa.text"), "wa", cid="expired")
    await _drain(rt)
    assert not await _outbox(rt)
    assert [q.reason for q in await _quarantine(rt)] == ["token-expired"]


class _Tamper:
    """A stage that changes the envelope without re-sealing it."""

    name = "tamper"

    async def __call__(self, job: Job) -> dict[str, Any]:
        job.envelope["text"] = "transfer 1000 EUR"
        return {}


async def test_a_tampered_envelope_is_rejected(runtime, logs) -> None:
    from metasim.gateway.parsers import parse
    from metasim.gateway.pipeline.runner import Runner

    runner = process_runner(runtime)
    stages = list(runner.stages)
    stages.insert(runner.names.index("dedupe"), _Tamper())  # between token_ok and dedupe
    payload = _build("wa.text")
    event = InboxEvent("ev1", "wa", meta_bytes(payload), NOW, "tampered", attempts=1)
    (update,) = parse("wa", payload, received_at=NOW, correlation_id="tampered")
    outcome = await Runner(stages, runner.lane)(Job(event, update, update.envelope))
    assert outcome == "quarantined"
    assert [q.reason for q in await _quarantine(runtime)] == ["seal-broken"]
    assert not await _outbox(runtime)


# -- dedupe --------------------------------------------------------------------------------------


async def test_a_redelivery_with_other_bytes_gets_no_second_reply(
    client_for, runtime, logs
) -> None:
    payload = _build("wa.text")
    await _deliver(client_for, runtime, payload, "wa", cid="first")
    again = json.loads(json.dumps(payload))
    again["entry"][0]["changes"][0]["value"]["contacts"][0]["profile"]["name"] = "Camille M."
    await _deliver(
        client_for, runtime, again, "wa", cid="second", body=json.dumps(again, indent=1).encode()
    )
    await _drain(runtime)
    assert len(await _outbox(runtime)) == 1
    assert runtime.metrics.value("inbound_total", {"channel": "wa", "outcome": "duplicate"}) == 1
    assert logs.stages(correlation_id="second")[-1] == "dedupe"


async def test_copies_of_one_message_in_one_claimed_batch_get_one_reply(logs) -> None:
    """The events of a batch run side by side (their SQLite writes share commits): a storm of
    redeliveries claimed together still yields one outbox item and nine duplicates."""
    rt = make_runtime()
    body = meta_bytes(_build("wa.text", seed=7))
    for n in range(10):
        await rt.store.inbox_put(InboxEvent(f"ev-{n}", "wa", body, NOW + n, f"storm-{n}"))
    assert await InboxWorker(rt).run_once() == 10
    assert await rt.store.outbox_depth() == 1 and await rt.store.inbox_depth() == 0
    assert rt.metrics.value("inbound_total", {"channel": "wa", "outcome": "duplicate"}) == 9
    assert rt.metrics.value("inbound_total", {"channel": "wa", "outcome": "processed"}) == 1
    await rt.store.close()


async def test_the_worker_heartbeat_moves_while_it_works_through_a_batch(logs) -> None:
    """/ready reads this heartbeat: a long batch must not make a busy worker look dead."""
    from metasim.gateway.worker import NAME

    rt = make_runtime()
    ticks = iter(range(1_000, 2_000))
    rt.clock = lambda: float(next(ticks))
    body = meta_bytes(_build("wa.text", seed=9))
    for n in range(3):
        await rt.store.inbox_put(InboxEvent(f"ev-b{n}", "wa", body, NOW, f"beat-{n}"))
    assert NAME not in rt.health.beats
    await InboxWorker(rt).run_once()  # no loop around it: only the per-update beats run
    assert rt.health.beats[NAME] >= 1_002  # one beat per update at least, on the moving clock


async def test_dedupe_window_is_configurable(client_for, logs) -> None:
    rt = make_runtime(DEDUPE_WINDOW_SECONDS="0")
    payload = _build("msg.text")
    await _deliver(client_for, rt, payload, "msg", cid="w1")
    await _drain(rt)
    await _deliver(client_for, rt, payload, "msg", cid="w2")
    await _drain(rt)
    # outside the window dedupe lets it through; the outbox key still refuses a second reply
    assert len(await _outbox(rt)) == 1
    assert logs.stages(correlation_id="w2")[-1] == "outbox"


async def test_an_event_reclaimed_after_a_crash_is_finished_without_a_duplicate(
    runtime, logs
) -> None:
    payload = _build("batch.msg.multi_entry")
    event = InboxEvent("ev-crash", "msg", meta_bytes(payload), NOW, "reclaimed")
    await runtime.store.inbox_put(event)
    # first worker: marks two messages seen, queues only the first, then "dies"
    from metasim.gateway.parsers import parse

    updates = parse("msg", payload, received_at=NOW, correlation_id="reclaimed")
    await runtime.store.dedupe_first("msg", updates[0].msg_id, 600)
    await runtime.store.dedupe_first("msg", updates[1].msg_id, 600)
    first_claim = await runtime.store.inbox_claim("dead-worker", 10, 0.0)
    await process_runner(runtime)(Job(first_claim[0], updates[0], updates[0].envelope))
    await _drain(runtime)  # lease 0 s: the event is claimed again (attempts 2)
    assert sorted(i.msg_id for i in (await _outbox(runtime)).values()) == sorted(
        u.msg_id for u in updates
    )


# -- core: reply rules and media -----------------------------------------------------------------


async def test_wa_media_id_is_resolved_through_the_graph_api(client_for, runtime, logs) -> None:
    payload = _build("wa.image")
    media_id = payload["entry"][0]["changes"][0]["value"]["messages"][0]["image"]["id"]
    await _deliver(client_for, runtime, payload, "wa", cid="media")
    await _drain(runtime)
    [call] = fake_graph(runtime).recorder.calls(kind="media_get")
    assert (call.method, call.path) == ("GET", f"/v25.0/{media_id}")
    phone_number_id = payload["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"]
    # 200: the fake granted the token the gateway sent, the one the clients file gives this number
    assert call.status == 200 and call.tenant == phone_number_id
    core_line = next(
        line for line in logs.lines if line["stage"] == "core" and line["correlation_id"] == "media"
    )
    assert core_line["media_resolved"] == 1
    assert len(await _outbox(runtime)) == 1


async def test_media_failure_still_answers_and_counts(client_for, runtime, logs) -> None:
    fake_graph(runtime).faults.http(503, kind="media_get")  # Graph down for media look-ups
    await _deliver(client_for, runtime, _build("wa.video"), "wa", cid="media-down")
    await _drain(runtime)
    assert len(await _outbox(runtime)) == 1
    assert runtime.metrics.value("errors_total", {"channel": "wa", "kind": "media"}) == 1


# -- crashes never kill the worker -----------------------------------------------------------------


async def test_a_crash_in_one_update_is_quarantined_and_the_worker_goes_on(
    client_for, runtime, logs, monkeypatch
) -> None:
    payload = _build("batch.msg.multi_entry")
    victim = payload["entry"][1]["messaging"][0]["message"]["mid"]
    real = core.Core.__call__

    async def flaky(self: core.Core, job: Job) -> dict[str, Any]:
        if job.msg_id == victim:
            raise RuntimeError("reply rule exploded")
        return await real(self, job)

    monkeypatch.setattr(core.Core, "__call__", flaky)
    await _deliver(client_for, runtime, payload, "msg", cid="crash")
    await _drain(runtime)
    assert len(await _outbox(runtime)) == 3
    (q,) = await _quarantine(runtime)
    assert q.reason == "crash" and "reply rule exploded" in q.detail["error"]
    assert runtime.metrics.value("errors_total", {"channel": "msg", "kind": "crash"}) == 1
    crash_line = next(
        line for line in logs.lines if line.get("msg_id") == victim and line["level"] == "ERROR"
    )
    assert crash_line["stage"] == "core"
    assert crash_line["exc_type"] == "RuntimeError" and "in flaky" in crash_line["traceback"]


async def test_the_worker_loop_survives_a_store_outage_and_keeps_its_heartbeat(
    client_for, runtime, logs
) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(InboxWorker(runtime).run(stop))
    try:
        await _deliver(client_for, runtime, _build("ig.text"), "ig", cid="live")
        for _ in range(100):
            if await _outbox(runtime):
                break
            await asyncio.sleep(0.01)
        assert len(await _outbox(runtime)) == 1
        assert runtime.health.alive("inbox-worker", time.time(), 5.0)
        runtime.store = outage = stored.Outage(runtime.store)  # type: ignore[assignment]
        outage.down = True
        await asyncio.sleep(0.1)
        assert not task.done()
        outage.down = False
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
    assert not runtime.health.alive("inbox-worker", time.time(), 5.0)
    claim = next(x for x in logs.lines if x["msg"].startswith("inbox claim failed"))
    assert claim["exc_type"] == "OperationalError" and "inbox_claim" in claim["traceback"]


# -- secrets ---------------------------------------------------------------------------------------


async def test_no_secret_or_token_in_any_log_line(client_for, logs) -> None:
    rt = make_runtime(META_SIGNATURE_REQUIRED="warn")
    from metasim.gateway.observability.logs import LOG

    LOG.add_secrets(rt.tenants.secret_values())  # as create_app does
    for name, channel in (("wa.image", "wa"), ("ig.text", "ig"), ("msg.text", "msg")):
        await _deliver(client_for, rt, _build(name), channel, cid=f"secret-{channel}")
    async with client_for(rt) as c:
        await c.get(
            "/webhook/wa",
            params={
                "hub.mode": "subscribe",
                "hub.verify_token": VERIFY_TOKEN,
                "hub.challenge": "5",
            },
        )
        await c.post(
            "/webhook/wa",
            content=b'{"object":"whatsapp_business_account","entry":[]}',
            headers={"X-Hub-Signature-256": "sha256=" + APP_SECRET},
        )
    await _drain(rt)
    text = logs.text()
    assert text  # the flow did log
    for secret in (APP_SECRET, VERIFY_TOKEN, EXAMPLE_TOKEN, "acme-dev-api-key-0000000000000000"):
        assert secret not in text


# -- a store outage mid-pipeline -----------------------------------------------------------------


async def test_store_outage_mid_pipeline_leaves_the_event_for_a_retry_not_the_quarantine(
    client_for, runtime
) -> None:
    """A Redis restart while an update is processed must not cost the ACKed message."""
    from redis.exceptions import ConnectionError as RedisConnectionError

    payload = _build("wa.text")
    await _deliver(client_for, runtime, payload, "wa", cid="cid-outage")
    store = runtime.store
    real_put = store.outbox_put
    calls = {"n": 0}

    async def flaky_put(item: Any) -> bool:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RedisConnectionError("Connection refused (store restarting)")
        return await real_put(item)

    store.outbox_put = flaky_put  # type: ignore[method-assign]
    worker = InboxWorker(runtime, lease_seconds=0.0)
    with pytest.raises(RedisConnectionError):
        await worker.run_once()
    assert await _quarantine(runtime) == []
    assert await _outbox(runtime) == {}
    # the lease has run out (0 s here): the event is claimed again and gets its one reply
    assert await worker.run_once() == 1
    assert len(await _outbox(runtime)) == 1
    assert await _quarantine(runtime) == []


# -- a failed quarantine write, poison messages -----------------------------------------------


async def test_a_crash_whose_quarantine_write_fails_leaves_the_event_leased(
    client_for, runtime, logs, monkeypatch
) -> None:
    """A bug outside any stage, then the quarantine write fails too: the event must not be
    marked done (that would lose an ACKed message without a trace); it stays leased, said at
    CRITICAL, and is processed once the store and the bug are fixed."""
    import metasim.gateway.worker as worker_module

    payload = _build("wa.text")
    await _deliver(client_for, runtime, payload, "wa", cid="cid-qfail")

    def broken_parse(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("parser bug")

    async def refused(q: Any) -> None:
        raise RuntimeError("quarantine table is read-only")

    monkeypatch.setattr(worker_module, "parse", broken_parse)
    monkeypatch.setattr(runtime.store, "quarantine_put", refused)
    worker = InboxWorker(runtime, lease_seconds=0.0)
    with pytest.raises(RuntimeError):
        await worker.run_once()
    assert await runtime.store.inbox_depth() == 1  # not marked done
    assert await _quarantine(runtime) == [] and await _outbox(runtime) == {}
    critical = [x for x in logs.lines if x["level"] == "CRITICAL"]
    assert len(critical) == 1 and critical[0]["correlation_id"] == "cid-qfail"
    assert "parser bug" in critical[0]["msg"] and "read-only" in critical[0]["msg"]
    # both fixed: the next claim finishes it with its one reply
    monkeypatch.undo()
    assert await worker.run_once() == 1
    assert await runtime.store.inbox_depth() == 0 and len(await _outbox(runtime)) == 1


async def test_an_event_claimed_too_often_is_quarantined_as_poison(
    client_for, logs, monkeypatch
) -> None:
    """An event that kills its worker each time (OOM, a crash in a C extension) is claimed
    again after every restart; past INBOX_MAX_ATTEMPTS it is parked, not claimed forever."""
    rt = make_runtime(INBOX_MAX_ATTEMPTS="3")
    payload = _build("wa.text")
    await _deliver(client_for, rt, payload, "wa", cid="cid-poison")
    worker = InboxWorker(rt, lease_seconds=0.0)
    # three claims whose worker "died" before finishing (the claim counts, nothing else runs)
    for _ in range(3):
        [event] = await rt.store.inbox_claim("dying-worker", 10, 0.0)
    assert event.attempts == 3
    assert await worker.run_once() == 1  # the 4th claim: over the cap
    [q] = await _quarantine(rt)
    assert q.reason == "poison" and q.correlation_id == "cid-poison"
    assert q.detail["attempts"] == 4 and q.raw == meta_bytes(payload)
    assert await rt.store.inbox_depth() == 0 and await _outbox(rt) == {}
    assert rt.metrics.value("errors_total", {"channel": "wa", "kind": "poison"}) == 1
    assert any(x["level"] == "ERROR" and x.get("reason") == "poison" for x in logs.lines)


async def test_an_event_under_the_attempt_cap_is_processed_normally(client_for, logs) -> None:
    rt = make_runtime(INBOX_MAX_ATTEMPTS="3")
    await _deliver(client_for, rt, _build("wa.text"), "wa", cid="cid-ok")
    for _ in range(2):
        await rt.store.inbox_claim("dying-worker", 10, 0.0)
    assert await InboxWorker(rt, lease_seconds=0.0).run_once() == 1  # 3rd attempt: allowed
    assert await _quarantine(rt) == [] and len(await _outbox(rt)) == 1
