"""The evidence API: safe outside a run, faithful bodies, caps that keep the report small."""

from __future__ import annotations

import base64
import hashlib
import threading
from collections.abc import Iterator

import pytest

from metasim.reports import evidence


@pytest.fixture
def ev() -> Iterator[evidence.Evidence]:
    yield evidence.begin()
    evidence.end()


def test_every_call_is_a_no_op_outside_a_reported_run() -> None:
    assert evidence.current() is None
    evidence.record_payload(b"{}", {"X-Hub-Signature-256": "sha256=00"}, "http://127.0.0.1:1/w")
    evidence.record_answer(200, b"ok")
    evidence.record_graph_calls([{"method": "POST"}])
    evidence.record_logs(["line"])
    evidence.exercised(event_name="wa.text")
    evidence.on_failure(lambda: ["never called"])
    assert evidence.current() is None


def test_body_kept_byte_exact_with_size_and_hash(ev: evidence.Evidence) -> None:
    body = '{"text":"caf\\u00e9 \\/ é"}'.encode()
    evidence.record_payload(
        body, {"Content-Type": "application/json"}, "http://127.0.0.1:1/webhook/ig"
    )
    [p] = ev.payloads
    assert p["body"]["text"].encode() == body
    assert p["body"]["size"] == len(body) == 26
    assert p["body"]["sha256"] == hashlib.sha256(body).hexdigest()
    assert (p["body"]["encoding"], p["body"]["truncated"]) == ("utf-8", False)


def test_long_body_is_cut_on_a_character_boundary(ev: evidence.Evidence) -> None:
    body = ("é" * evidence.MAX_BODY_BYTES).encode()  # 2 bytes each: the cut falls mid-way
    evidence.record_answer(500, body)
    b = ev.answers[0]["body"]
    assert b["truncated"] is True and b["size"] == 2 * evidence.MAX_BODY_BYTES
    assert b["encoding"] == "utf-8" and b["text"] == "é" * (evidence.MAX_BODY_BYTES // 2)
    assert b["sha256"] == hashlib.sha256(body).hexdigest()  # of the full body


def test_binary_body_is_base64(ev: evidence.Evidence) -> None:
    evidence.record_answer(200, b"\xff\xfe\x00binary")
    b = ev.answers[0]["body"]
    assert b["encoding"] == "base64" and base64.b64decode(b["text"]) == b"\xff\xfe\x00binary"


def test_caps_count_what_was_dropped(ev: evidence.Evidence) -> None:
    evidence.record_graph_calls({"n": i} for i in range(evidence.MAX_ITEMS + 7))
    evidence.record_logs(f"line {i}\n" for i in range(evidence.MAX_LOG_LINES + 2))
    assert len(ev.graph_calls) == evidence.MAX_ITEMS and ev.graph_calls[-1] == {"n": 99}
    assert ev.logs[0] == "line 0" and len(ev.logs) == evidence.MAX_LOG_LINES
    assert ev.dropped == {"graph_calls": 7, "logs": 2}


def test_graph_call_values_json_cannot_hold_become_text(ev: evidence.Evidence) -> None:
    evidence.record_graph_calls([{"method": "POST", "body": b"\x00", "at": {1, 2}}])
    assert ev.graph_calls == [{"method": "POST", "body": "b'\\x00'", "at": "{1, 2}"}]


def test_exercised_marks_are_deduplicated_and_need_a_subject(ev: evidence.Evidence) -> None:
    evidence.exercised(event_name="wa.text", dialect="bsuid")
    evidence.exercised(event_name="wa.text", dialect="bsuid")
    evidence.exercised(graph_error_code=131047)
    assert ev.exercised == [
        {"event": "wa.text", "dialect": "bsuid", "channel": None, "graph_error_code": None},
        {"event": None, "dialect": None, "channel": None, "graph_error_code": "131047"},
    ]
    with pytest.raises(ValueError, match="needs event_name, channel or graph_error_code"):
        evidence.exercised(dialect="classic")


def test_other_threads_record_into_the_running_scenario(ev: evidence.Evidence) -> None:
    t = threading.Thread(target=evidence.record_graph_calls, args=([{"from": "server thread"}],))
    t.start()
    t.join()
    assert ev.graph_calls == [{"from": "server thread"}]


def test_not_applicable_skips_with_the_prefix() -> None:
    with pytest.raises(pytest.skip.Exception, match=r"^not applicable: no admin API$"):
        evidence.not_applicable("no admin API")


def test_run_info_accumulates_until_reset() -> None:
    evidence.reset_run_info()
    evidence.set_run_info(target="n8n-staging", versions={"gateway": "3.2.5"})
    evidence.set_run_info(store="redis")
    assert evidence.run_info() == {
        "target": "n8n-staging", "versions": {"gateway": "3.2.5"}, "extra": {"store": "redis"},
    }  # fmt: skip
    evidence.reset_run_info()
    assert evidence.run_info() == {"target": None, "versions": {}, "extra": {}}
