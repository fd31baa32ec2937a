"""Enforce mode under attack: nothing unsigned, forged or replayed is processed; tokens checked; no leaks."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.fuzz_rig import (
    ADMIN_TOKEN,
    API_KEY,
    APP_SECRET,
    PHONE_ID,
    SECRETS,
    Answer,
    Rig,
    sign,
    valid_text,
)
from tests.reliability.hostile import cases

# make fuzz sets SECURITY_ROUNDS higher: each round sends every probe again with fresh bodies
ROUNDS = int(os.environ.get("SECURITY_ROUNDS", "3"))


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    r = Rig(tmp_path)
    yield r
    r.close()


def stored(db: Path) -> dict[str, int]:
    """Rows in the gateway's inbox, dedupe and outbox tables, read with sqlite3 directly."""
    with sqlite3.connect(db) as con:
        return {
            t: con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
            for t in ("inbox", "dedupe", "outbox")
        }


def forged_requests(n: int) -> Iterator[tuple[str, list[tuple[bytes, bytes]], bytes]]:
    """(what, headers, body) of requests no enforce-mode gateway may process."""
    body = valid_text(f"forged {n}", 7000 + n)
    other = valid_text(f"other body {n}", 8000 + n)
    good = sign(body)
    yield "unsigned", [], body
    yield "empty signature", [(b"x-hub-signature-256", b"")], body
    yield "wrong secret", [(b"x-hub-signature-256", sign(body, "not-" + APP_SECRET).encode())], body
    # a signature captured from one genuine request, replayed on another body
    yield "replayed on other body", [(b"x-hub-signature-256", sign(other).encode())], body
    yield "sha1 header only", [(b"x-hub-signature", b"sha1=" + good[7:47].encode())], body
    yield "uppercase hex", [(b"x-hub-signature-256", good.upper().encode())], body
    yield "no prefix", [(b"x-hub-signature-256", good[7:].encode())], body
    yield "63 of 64 chars", [(b"x-hub-signature-256", good[:-1].encode())], body
    yield (
        "last char changed",
        [(b"x-hub-signature-256", (good[:-1] + ("0" if good[-1] != "0" else "1")).encode())],
        body,
    )
    yield "signature of empty body", [(b"x-hub-signature-256", sign(b"").encode())], body
    yield "body with one byte appended", [(b"x-hub-signature-256", good.encode())], body + b" "


def test_no_forged_webhook_reaches_the_store_or_the_graph_api(rig: Rig) -> None:
    refused: list[tuple[str, int]] = []
    for n in range(ROUNDS):
        for what, headers, body in forged_requests(n):
            for path in ("/webhook/wa", "/webhook"):
                answer = rig.call("POST", path, headers, body)
                refused.append((what, answer.status))
                assert answer.status in (401, 403), (
                    f"{what} on {path}: {answer.status} {answer.body!r}"
                )
    time.sleep(0.5)  # let the workers run: anything wrongly stored would be sent by now
    assert stored(rig.db) == {"inbox": 0, "dedupe": 0, "outbox": 0}
    assert len(rig.graph.recorder) == 0, [c.body for c in rig.graph.recorder.calls()]
    # the same rig still processes a genuine one: the probes were refused, not the gateway broken
    assert rig.still_serving(1) == (True, True)
    assert stored(rig.db)["outbox"] == 1


def _auth(token: str | None) -> list[tuple[bytes, bytes]]:
    return [] if token is None else [(b"authorization", token.encode())]


@pytest.mark.parametrize(
    "token",
    [None, "", "Bearer", "Bearer ", f"Basic {ADMIN_TOKEN}", f"Bearer {ADMIN_TOKEN}x",
     f"Bearer {ADMIN_TOKEN[:-1]}", f"Bearer {API_KEY}", f"bearer {APP_SECRET}"],
)  # fmt: skip
def test_admin_api_refuses_missing_and_wrong_tokens(rig: Rig, token: str | None) -> None:
    for method, path in (("GET", "/admin/dlq"), ("DELETE", "/admin/dlq"),
                         ("POST", "/admin/dlq/replay"), ("GET", "/admin/quarantine"),
                         ("DELETE", "/admin/quarantine"), ("POST", "/admin/quarantine/replay")):  # fmt: skip
        answer = rig.call(method, path, _auth(token), b"{}")
        assert answer.status in (401, 403), f"{method} {path} with {token!r}: {answer.status}"
    assert rig.call("GET", "/admin/dlq", _auth(f"Bearer {ADMIN_TOKEN}")).status == 200


@pytest.mark.parametrize(
    "token",
    [None, "", "Bearer", f"Basic {API_KEY}", f"Bearer {API_KEY}x", f"Bearer {API_KEY[:-1]}",
     f"Bearer {ADMIN_TOKEN}", f"Bearer {APP_SECRET}"],
)  # fmt: skip
def test_outbound_api_refuses_missing_and_wrong_keys(rig: Rig, token: str | None) -> None:
    body = json.dumps(
        {
            "channel": "wa",
            "from": PHONE_ID,
            "to": "33612345678",
            "message": {"type": "text", "text": {"body": "probe"}},
        }
    ).encode()
    answer = rig.call("POST", "/v1/messages", _auth(token), body)
    assert answer.status in (401, 403), f"{token!r}: {answer.status} {answer.body!r}"
    time.sleep(0.2)
    assert stored(rig.db)["outbox"] == 0 and len(rig.graph.recorder) == 0
    accepted = rig.call("POST", "/v1/messages", _auth(f"Bearer {API_KEY}"), body)
    assert accepted.status == 202, accepted.body


def leaks(text: str) -> list[str]:
    """Which configured secrets appear in ``text`` (names only, never the values)."""
    return [name for name, value in SECRETS.items() if value in text]


def test_no_secret_in_logs_metrics_or_error_bodies(rig: Rig) -> None:
    answers: list[Answer] = []
    # traffic that makes the gateway talk: probes with secrets in every place an attacker could
    # put them, hostile bodies, genuine messages (their replies carry the Graph token), admin use
    for _what, headers, body in forged_requests(0):
        answers.append(rig.call("POST", "/webhook/wa", headers, body))
    for c in cases(200, seed=5):
        answers.append(rig.call("POST", c.path, c.headers, c.body))
    answers.append(
        rig.call("GET", "/webhook/wa?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1")
    )
    answers.append(rig.call("GET", "/admin/dlq", _auth(f"Bearer {ADMIN_TOKEN}x")))
    answers.append(rig.call("POST", "/v1/messages", _auth(f"Bearer {API_KEY}"), b'{"channel":"wa"'))
    answers.append(
        rig.call("POST", "/v1/messages", _auth(f"Bearer {API_KEY}"), b'{"channel":"zz"}')
    )
    assert rig.still_serving(2) == (True, True)
    answers.append(rig.call("GET", "/admin/dlq", _auth(f"Bearer {ADMIN_TOKEN}")))
    answers.append(rig.call("GET", "/admin/quarantine", _auth(f"Bearer {ADMIN_TOKEN}")))
    metrics = rig.call("GET", "/metrics")
    assert metrics.status == 200
    produced = {
        "log file": rig.log_file.read_text(errors="replace"),
        "metrics": metrics.body.decode(errors="replace"),
        "answer bodies": "\n".join(a.body.decode(errors="replace") for a in answers),
    }
    assert len(produced["log file"]) > 10_000, "the run should have logged plenty to scan"
    found = {where: leaks(text) for where, text in produced.items() if leaks(text)}
    assert not found, f"secrets found: {found}"
