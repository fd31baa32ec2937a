"""Meta's side of a load, without processes: timing, tallies, webhook bytes, backlog, verdicts."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pytest

from metasim.simulator.cli.main import main
from metasim.simulator.context import Tenant
from metasim.simulator.load import meta_side as meta
from metasim.simulator.load.accounting import account
from metasim.simulator.load.meta_side import MetaTiming, Tally, percentile
from metasim.simulator.load.profiles import WebhookFactory, get_profile
from metasim.simulator.load.series import svg_chart, timeline
from metasim.simulator.load.sustained import judge


def test_meta_timing_is_metas_timeouts_and_back_off_compressed_a_hundred_times() -> None:
    timing = MetaTiming.make()
    # Messenger / Instagram: "within 5 seconds"; WhatsApp: no documented figure, the
    # simulator's 10 s; Meta retries at once, then after 30 s and 2 min
    assert timing.timeouts == {"wa": 10.0, "ig": 5.0, "msg": 5.0}
    assert timing.waits == (0.0, 0.3, 1.2)
    short = MetaTiming.make(timeout=0.2, attempts=2)
    assert short.timeouts == {"wa": 0.2, "ig": 0.2, "msg": 0.2} and short.waits == (0.0,)
    assert short.wait_limit == pytest.approx(1.2)  # a late 200 is told from none for 1 s more
    with pytest.raises(ValueError, match="attempts >= 1"):
        MetaTiming.make(attempts=0)


def test_tallies_from_two_workers_merge_into_the_sum() -> None:
    a, b = Tally(), Tally()
    a.sent(100.2, 3)
    a.answer(100.4, 12, 3)
    a.outcomes[meta.IN_TIME] += 1
    b.sent(101.5, 1)
    b.answer(102.9, 900, 0)
    b.outcomes[meta.LATE] += 1
    b.attempts[meta.RETRIES] += 2
    merged = Tally()
    for tally in (a, b):
        merged.merge(json.loads(json.dumps(tally.to_message())))  # as sent between processes
    assert merged.outcomes == {meta.IN_TIME: 1, meta.LATE: 1}
    assert merged.attempts == {meta.RETRIES: 2}
    assert sorted(merged.latencies()) == [12, 900]
    assert merged.span == pytest.approx(1.3)
    assert merged.series[100][:2] == [3, 3] and merged.series[101][0] == 1


def test_percentile_is_nearest_rank() -> None:
    values = list(range(1, 101))
    assert percentile(values, 0.5) == 50 and percentile(values, 0.99) == 99
    assert percentile([], 0.99) == 0


def test_never_answered_messages_are_owed_no_reply_but_one_at_most() -> None:
    acked = {"wamid.A": "mload-1-1"}
    unanswered = {"wamid.B": "mload-1-2", "wamid.C": "mload-1-3", "wamid.D": "mload-1-4"}
    calls = [
        {"kind": "send", "status": 200, "body": {"text": {"body": text}}}
        for text in ("mload-1-1", "mload-1-2", "mload-1-3", "mload-1-3")
    ]
    acc = account(acked, calls, [], unanswered)
    assert acc.replied_once == ["wamid.A"] and not acc.lost
    assert acc.never_answered == 3 and acc.never_answered_replied == 1
    assert list(acc.doubled) == ["wamid.C"] and not acc.ok


def test_webhooks_of_two_workers_never_share_an_id_or_a_token() -> None:
    profile = get_profile("burst").with_overrides(channels={"wa": 1.0, "msg": 1.0})
    tenant = Tenant(phone_number_id="999000111", page_id="555000111")
    seen_ids: set[str] = set()
    seen_tokens: set[str] = set()
    for seed in (10_001, 20_001):  # the seeds of user 1 on worker 1 and on worker 2
        factory = WebhookFactory(profile, "s3cret", seed, tenant)
        for _ in range(300):
            hook = factory.next()
            want = "sha256=" + hmac.new(b"s3cret", hook.body, hashlib.sha256).hexdigest()
            assert hook.headers["X-Hub-Signature-256"] == want
            payload = json.loads(hook.body)
            text = json.dumps(payload)
            assert hook.channel in ("wa", "msg")
            assert ("999000111" in text) if hook.channel == "wa" else ("555000111" in text)
            for msg_id, token in hook.tracked.items():
                assert msg_id in text and token in text
            ids = [*hook.tracked, *hook.untracked]
            assert len(ids) == len(payload["entry"])
            assert not seen_ids & set(ids) and not seen_tokens & set(hook.tracked.values())
            seen_ids.update(ids)
            seen_tokens.update(hook.tracked.values())
    assert len(seen_ids) > 600  # batches carry several messages


def test_the_backlog_is_acked_minus_replied_each_second() -> None:
    tally = Tally()
    for at in (10.1, 10.2, 11.5):
        tally.sent(at, 1)
        tally.answer(at, 5, 1)
    acked = {"a": "mload-1-1", "b": "mload-1-2", "c": "mload-1-3"}
    ack_at = {"a": 10.1, "b": 10.2, "c": 11.5}
    sends: list[dict[str, Any]] = [
        {"time": 11.3, "body": {"text": {"body": "mload-1-1"}}},
        {"time": 13.0, "body": {"text": {"body": "mload-1-2"}}},
        {"time": 13.2, "body": {"text": {"body": "mload-1-3"}}},
    ]
    line = timeline(tally, acked, ack_at, sends)
    assert line["t"] == [0, 1, 2, 3]
    assert line["backlog"] == [2, 2, 2, 0]
    assert line["sent"] == [2, 1, 0, 0]
    svg = svg_chart("Backlog", line["t"], {"messages": line["backlog"]}, "messages")
    assert (
        svg.startswith("<svg")
        and "<polyline" in svg
        and "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")
    )


def _step(p99: float, achieved: float, lost: int = 0, late: int = 0) -> dict[str, Any]:
    outcomes = {k: 0 for k in meta.OUTCOMES} | {meta.LATE: late}
    run = {"achieved rate (ACKed messages/s)": achieved, "ACK latency p99 (ms)": p99}
    run["webhook outcomes"] = outcomes
    return {"run": run, "accounting": {"lost": lost, "doubled": 0}}


def test_a_step_holds_only_under_the_timeout_with_nothing_lost_at_the_rate() -> None:
    assert judge(_step(4900, 95), 100, 5.0)["held"]
    assert "p99" in judge(_step(5000, 95), 100, 5.0)["why"]
    assert "lost" in judge(_step(100, 95, lost=1), 100, 5.0)["why"]
    assert "late" in judge(_step(100, 95, late=2), 100, 5.0)["why"]
    assert "achieved" in judge(_step(100, 80), 100, 5.0)["why"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["load", "--target", "/nonexistent/gw.toml"], "no such file"),
        (["load", "--workers", "0"], "--workers must be within 1..64"),
        (["load", "--meta-timeout", "-1"], "--meta-timeout must be > 0"),
        (["load", "--target", "reference-inprocess", "--duration", "1"], "runs in-process"),
        (["chaos", "--target", "/nonexistent/gw.toml"], "no such file"),
    ],
)
def test_bad_load_input_is_a_message_not_a_traceback(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_chaos_refuses_a_target_the_harness_cannot_restart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # no [start] section: the gateway runs elsewhere, so nothing here could start it again
    target = tmp_path / "running.toml"
    target.write_text(
        'name = "already-running"\nbase_url = "http://127.0.0.1:9"\n'
        'webhooks = { wa = "/webhook" }\nsecrets = { app_secret = "s" }\n'
    )
    assert main(["chaos", "--target", str(target), "--duration", "1", "--crashes", "1"]) == 1
    err = capsys.readouterr().err
    assert "needs a [start] section" in err and "Traceback" not in err
