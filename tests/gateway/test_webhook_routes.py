"""Webhook routes in-process: handshake, signature modes, bad input, durable inbox before the ACK."""

from __future__ import annotations

import json
import sqlite3

import pytest

from metasim.simulator import catalogue
from metasim.simulator.context import BuildContext
from tests.gateway import stored
from tests.gateway.conftest import VERIFY_TOKEN, make_runtime, meta_bytes, sign

pytestmark = pytest.mark.anyio
NOW = 1767264532.0


def _body(name: str = "wa.text", seed: int = 1) -> bytes:
    return meta_bytes(catalogue.build(name, BuildContext.seeded(seed, now=NOW)))


# -- handshake ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/webhook/wa", "/webhook/ig", "/webhook/msg", "/webhook"])
async def test_handshake_answers_the_bare_challenge(client_for, runtime, path: str) -> None:
    async with client_for(runtime) as c:
        r = await c.get(
            path,
            params={
                "hub.mode": "subscribe",
                "hub.verify_token": VERIFY_TOKEN,
                "hub.challenge": "1158201444",
            },
        )
    assert r.status_code == 200
    assert r.text == "1158201444"


@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"},
        {"hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN},
        {},
    ],
)
async def test_handshake_refuses_anything_else(client_for, runtime, params: dict) -> None:
    async with client_for(runtime) as c:
        r = await c.get("/webhook/wa", params=params)
    assert r.status_code == 403
    assert "1" not in r.text


async def test_handshake_refused_when_no_verify_token_is_configured(client_for, logs) -> None:
    rt = make_runtime(META_VERIFY_TOKEN="")
    async with client_for(rt) as c:
        r = await c.get(
            "/webhook/wa",
            params={"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"},
        )
    assert r.status_code == 403


# -- signature modes ----------------------------------------------------------------------------


def _variants(body: bytes) -> dict[str, tuple[bytes, dict[str, str]]]:
    payload = json.loads(body)
    utf8 = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return {
        "valid": (body, {"X-Hub-Signature-256": sign(body)}),
        "valid_lowercase_name": (body, {"x-hub-signature-256": sign(body)}),
        "valid_uppercase_name": (body, {"X-HUB-SIGNATURE-256": sign(body)}),
        "missing": (body, {}),
        "wrong": (body, {"X-Hub-Signature-256": sign(body, "another-app-secret")}),
        "uppercase_hex": (body, {"X-Hub-Signature-256": "sha256=" + sign(body)[7:].upper()}),
        "utf8_reserialised": (utf8, {"X-Hub-Signature-256": sign(body)}),
    }


RESULT = {
    "valid": "valid",
    "valid_lowercase_name": "valid",
    "valid_uppercase_name": "valid",
    "missing": "missing",
    "wrong": "wrong",
    "uppercase_hex": "wrong",
    "utf8_reserialised": "wrong",
}
EXPECTED = {
    "enforce": {
        "valid": 200,
        "valid_lowercase_name": 200,
        "valid_uppercase_name": 200,
        "missing": 401,
        "wrong": 403,
        "uppercase_hex": 403,
        "utf8_reserialised": 403,
    },
    # warn and off never refuse: every variant is stored and ACKed
    "warn": dict.fromkeys(RESULT, 200),
    "off": dict.fromkeys(RESULT, 200),
}
CASES = [(mode, variant) for mode in EXPECTED for variant in EXPECTED[mode]]


@pytest.mark.parametrize(("mode", "variant"), CASES, ids=[f"{m}-{v}" for m, v in CASES])
async def test_signature_modes(client_for, logs, mode: str, variant: str) -> None:
    rt = make_runtime(META_SIGNATURE_REQUIRED=mode)
    # a non-ASCII text with a URL, so the UTF-8 re-serialisation really differs from Meta's bytes
    body = meta_bytes(
        catalogue.build(
            "wa.text",
            BuildContext.seeded(1, now=NOW),
            overrides={
                "entry.0.changes.0.value.messages.0.text.body": "Où est ma commande ? https://shop.fr/c/1"
            },
        )
    )
    wire, headers = _variants(body)[variant]
    async with client_for(rt) as c:
        r = await c.post(
            "/webhook/wa", content=wire, headers={"Content-Type": "application/json", **headers}
        )
    expected = EXPECTED[mode][variant]
    assert r.status_code == expected, r.text
    stored = await rt.store.inbox_depth()
    assert stored == (1 if expected == 200 else 0)  # enforce rejects before anything is stored
    result = "skipped" if mode == "off" else RESULT[variant]
    assert (
        rt.metrics.value("signature_total", {"channel": "wa", "mode": mode, "result": result}) == 1
    )
    if expected != 200:
        assert r.json()["error"]["code"] == (
            "signature_missing" if expected == 401 else "signature_mismatch"
        )
    sig_lines = [line for line in logs.lines if line["stage"] == "signature"]
    if mode == "warn" and result != "valid":
        assert sig_lines and sig_lines[0]["level"] == "WARNING"


async def test_signature_over_raw_bytes_accepts_metas_escaped_bytes(client_for, runtime) -> None:
    body = _body("msg.text.non_ascii")
    assert b"\\u" in body  # escaped unicode on the wire, as Meta sends it
    async with client_for(runtime) as c:
        r = await c.post("/webhook/msg", content=body, headers={"X-Hub-Signature-256": sign(body)})
    assert r.status_code == 200


# -- ACK and the durable inbox ---------------------------------------------------------------------


async def test_ack_only_after_the_raw_bytes_are_in_the_inbox(client_for, runtime, logs) -> None:
    body = _body("wa.text")
    async with client_for(runtime) as c:
        r = await c.post(
            "/webhook/wa",
            content=body,
            headers={"X-Hub-Signature-256": sign(body), "X-Correlation-Id": "trace-77"},
        )
    assert r.status_code == 200 and r.text == "EVENT_RECEIVED"
    (event,) = await stored.inbox(runtime)
    assert event.raw == body and event.channel == "wa" and event.correlation_id == "trace-77"
    assert r.headers["x-correlation-id"] == "trace-77"
    assert logs.stages(correlation_id="trace-77") == ["parse", "signature", "ack"]
    assert runtime.metrics.value("inbound_total", {"channel": "wa", "outcome": "accepted"}) == 1
    assert runtime.metrics.value("ack_latency_seconds_count", {"channel": "wa"}) == 1


@pytest.mark.parametrize(
    ("name", "channel"), [("wa.status.read", "wa"), ("ig.text", "ig"), ("msg.echo", "msg")]
)
async def test_generic_path_routes_on_object(client_for, runtime, name: str, channel: str) -> None:
    body = _body(name)
    async with client_for(runtime) as c:
        r = await c.post("/webhook", content=body, headers={"X-Hub-Signature-256": sign(body)})
    assert r.status_code == 200
    (event,) = await stored.inbox(runtime)
    assert event.channel == channel


async def test_store_outage_answers_503_so_meta_retries(client_for, runtime) -> None:
    runtime.store = outage = stored.Outage(runtime.store)  # type: ignore[assignment]
    outage.down = True
    body = _body()
    async with client_for(runtime) as c:
        r = await c.post("/webhook/wa", content=body, headers={"X-Hub-Signature-256": sign(body)})
    assert r.status_code == 503
    assert r.json()["error"]["code"] == "store_unavailable"


async def test_a_bug_on_the_ack_path_is_a_json_500_and_an_error_line(
    client_for, runtime, logs, monkeypatch
) -> None:
    """The webhook lane answers its own errors: a crash in a stage is not a bare 500 page."""
    from metasim.gateway.pipeline import ack

    async def broken(self: object, ctx: object) -> None:
        raise RuntimeError("planted bug")

    monkeypatch.setattr(ack.Ack, "__call__", broken)
    body = _body()
    async with client_for(runtime) as c:
        r = await c.post("/webhook/wa", content=body, headers={"X-Hub-Signature-256": sign(body)})
        assert (await c.get("/health")).text == "OK"  # the app still answers
    assert r.status_code == 500 and r.json()["error"]["code"] == "internal"
    line = next(x for x in logs.lines if x["level"] == "ERROR")
    assert "RuntimeError: planted bug" in line["msg"] and line["channel"] == "wa"


def _sqlite_error(message: str, code: int) -> Exception:
    """An OperationalError as sqlite3 raises it, with its result code."""
    exc = sqlite3.OperationalError(message)
    exc.sqlite_errorcode = code  # type: ignore[attr-defined]
    return exc


async def test_a_schema_error_in_the_inbox_write_is_a_bug_500_not_an_outage(
    client_for, runtime, logs, monkeypatch
) -> None:
    """sqlite3 raises OperationalError for a locked file and for a missing column alike; only
    the first is an outage. The second is a bug a retry can never fix."""
    db = sqlite3.connect(":memory:")

    async def wrong_schema(event: object) -> None:
        db.execute("INSERT INTO inbox (no_such_column) VALUES (1)")

    monkeypatch.setattr(runtime.store, "inbox_put", wrong_schema)
    body = _body()
    async with client_for(runtime) as c:
        r = await c.post("/webhook/wa", content=body, headers={"X-Hub-Signature-256": sign(body)})
    assert r.status_code == 500
    [line] = [x for x in logs.lines if x["level"] == "ERROR"]
    assert line["exc_type"] == "OperationalError" and "no such table" in line["exc_message"]


async def test_a_program_error_in_the_inbox_write_is_500_not_503(
    client_for, runtime, logs, monkeypatch
) -> None:
    """Only a store outage may answer 503 (Meta retries, and the retry can succeed); a bug
    answers 500 and logs its traceback as JSON, so someone fixes it."""

    async def buggy_put(event: object) -> None:
        raise TypeError("unsupported operand type(s) for +: 'int' and 'str'")

    monkeypatch.setattr(runtime.store, "inbox_put", buggy_put)
    body = _body()
    async with client_for(runtime) as c:
        r = await c.post("/webhook/wa", content=body, headers={"X-Hub-Signature-256": sign(body)})
    assert r.status_code == 500 and r.json()["error"]["code"] == "internal"
    [line] = [x for x in logs.lines if x["level"] == "ERROR"]
    assert line["exc_type"] == "TypeError" and "unsupported operand" in line["exc_message"]
    assert "Traceback (most recent call last)" in line["traceback"]
    assert "buggy_put" in line["traceback"]


@pytest.mark.parametrize(
    "outage",
    [
        ConnectionRefusedError("store refused"),
        __import__("redis").exceptions.TimeoutError("Timeout reading from socket"),
        _sqlite_error("database is locked", 5),  # SQLITE_BUSY
        _sqlite_error("disk I/O error", 10),  # SQLITE_IOERR
    ],
)
async def test_a_store_outage_in_the_inbox_write_is_503(
    client_for, runtime, logs, monkeypatch, outage: Exception
) -> None:
    async def down(event: object) -> None:
        raise outage

    monkeypatch.setattr(runtime.store, "inbox_put", down)
    body = _body()
    async with client_for(runtime) as c:
        r = await c.post("/webhook/wa", content=body, headers={"X-Hub-Signature-256": sign(body)})
    assert r.status_code == 503 and r.json()["error"]["code"] == "store_unavailable"


async def test_the_first_of_two_signature_headers_is_the_one_checked(client_for, runtime) -> None:
    body = _body()
    async with client_for(runtime) as c:
        r = await c.post(
            "/webhook/wa",
            content=body,
            headers=[("X-Hub-Signature-256", sign(body)), ("X-Hub-Signature-256", "sha256=00")],
        )
    assert r.status_code == 200


# -- bad input: 400 / 413, never 5xx ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "code"),
    [
        ("/webhook/wa", b"not json at all", "bad_json"),
        ("/webhook/wa", b"", "bad_json"),
        ("/webhook/wa", b"\xff\xfe\x00", "bad_json"),
        ("/webhook/wa", b"[1, 2]", "bad_json"),
        ("/webhook/wa", b'{"object": "telegram", "entry": []}', "unknown_object"),
        ("/webhook", b'{"entry": []}', "unknown_object"),
        ("/webhook/wa", b'{"object": "page", "entry": []}', "wrong_object"),
        ("/webhook/ig", b'{"object": "instagram"}', "bad_webhook"),
    ],
)
async def test_bad_input_is_a_400_with_a_json_error(
    client_for, runtime, path: str, body: bytes, code: str
) -> None:
    async with client_for(runtime) as c:
        r = await c.post(path, content=body, headers={"X-Hub-Signature-256": sign(body)})
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["code"] == code and error["message"]
    assert await runtime.store.inbox_depth() == 0


async def test_body_over_the_limit_is_413_declared_or_streamed(client_for, logs) -> None:
    rt = make_runtime(MAX_BODY_BYTES="1000")
    big = b'{"object":"page","entry":[],"pad":"' + b"x" * 2000 + b'"}'

    async def chunks():
        for i in range(0, len(big), 100):
            yield big[i : i + 100]

    async with client_for(rt) as c:
        declared = await c.post(
            "/webhook/msg", content=big, headers={"X-Hub-Signature-256": sign(big)}
        )
        streamed = await c.post(
            "/webhook/msg", content=chunks(), headers={"X-Hub-Signature-256": sign(big)}
        )
    assert declared.status_code == 413 and streamed.status_code == 413
    assert declared.json()["error"]["code"] == "too_large"
    assert await rt.store.inbox_depth() == 0


async def test_default_limit_is_3_mib(client_for, runtime) -> None:
    body = b'{"object":"page","entry":[],"pad":"' + b"x" * (3 * 1024 * 1024) + b'"}'
    async with client_for(runtime) as c:
        r = await c.post("/webhook/msg", content=body, headers={"X-Hub-Signature-256": sign(body)})
    assert r.status_code == 413


# -- health, ready, metrics ------------------------------------------------------------------------


async def test_health_is_plain_ok(client_for, runtime) -> None:
    async with client_for(runtime) as c:
        r = await c.get("/health")
    assert (r.status_code, r.text) == (200, "OK")


async def test_ready_needs_the_store_and_only_reports_the_worker(client_for, runtime) -> None:
    """A dead or crash-looping worker must not take the ACK path out of the load balancer."""
    async with client_for(runtime) as c:
        r = await c.get("/ready")
        assert (r.status_code, r.json()) == (200, {"ready": True, "worker": "down"})
        assert "worker_alive 0.0" in (await c.get("/metrics")).text
        runtime.health.beat("inbox-worker", runtime.clock())
        assert (await c.get("/ready")).json() == {"ready": True, "worker": "alive"}
        assert "worker_alive 1.0" in (await c.get("/metrics")).text
        runtime.store = outage = stored.Outage(runtime.store)  # type: ignore[assignment]
        outage.down = True
        r = await c.get("/ready")
        assert r.status_code == 503
        assert any("store unreachable" in reason for reason in r.json()["reasons"])


async def test_metrics_move(client_for, runtime) -> None:
    body = _body("wa.text")
    async with client_for(runtime) as c:
        await c.post("/webhook/wa", content=body, headers={"X-Hub-Signature-256": sign(body)})
        await c.post("/webhook/wa", content=b"{", headers={})
        r = await c.get("/metrics")
    assert r.status_code == 200
    text = r.text
    assert 'inbound_total{channel="wa",outcome="accepted"} 1.0' in text
    assert 'inbound_total{channel="wa",outcome="rejected"} 1.0' in text
    assert 'errors_total{channel="wa",kind="bad_json"} 1.0' in text
    assert "inbox_depth 1.0" in text
    for name in (
        "outbound_total",
        "ack_latency_seconds_bucket",
        "e2e_latency_seconds",
        "outbox_depth",
        "dlq_depth",
        "quarantine_depth",
    ):
        assert name in text


async def test_metrics_during_a_store_outage_still_answer_and_say_why(
    client_for, runtime, logs, monkeypatch
) -> None:
    async def down() -> int:
        raise ConnectionError("store down")

    monkeypatch.setattr(runtime.store, "inbox_depth", down)
    async with client_for(runtime) as c:
        r = await c.get("/metrics")
    assert r.status_code == 200 and "inbound_total" in r.text  # the counters are not hidden
    [line] = [x for x in logs.lines if x["stage"] == "metrics"]
    assert line["level"] == "WARNING" and "queue depths not refreshed" in line["msg"]
    assert line["exc_type"] == "ConnectionError"


async def test_wrong_http_method_is_405_not_5xx(client_for, runtime) -> None:
    async with client_for(runtime) as c:
        r = await c.put("/webhook/wa", content=b"{}")
    assert r.status_code == 405
