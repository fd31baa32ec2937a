"""`metasim` as a user runs it: subprocesses of .venv/bin/metasim against a fake gateway process."""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import sys
from pathlib import Path

import pytest

from metasim.simulator.net import free_port
from tests.cli.fake_gateway import SECRET, TOKEN

METASIM = Path(sys.executable).parent / "metasim"
BODY_PATH = "entry.0.changes.0.value.messages.0.text.body"


def metasim(*args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(METASIM), *args], capture_output=True, text=True, timeout=60)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def test_events_lists_name_kind_and_description_filtered_by_channel():
    out = metasim("events").stdout
    line = next(x for x in out.splitlines() if x.startswith("wa.text "))
    assert "message" in line and "plain text" in line.lower()
    assert "batch.wa.1000" in out
    ig = metasim("events", "--channel", "ig").stdout.splitlines()
    assert ig and all(x.startswith(("ig.", "batch.ig.")) for x in ig)


def test_payload_prints_headers_and_the_exact_signed_bytes():
    result = metasim("payload", "wa.text.non_ascii", "--seed", "4", "--secret", SECRET)
    assert result.returncode == 0
    head, body = result.stdout.split("\n\n", 1)
    body_bytes = body.removesuffix("\n").encode("ascii")
    headers = dict(line.split(": ", 1) for line in head.splitlines())
    expected = hmac.new(SECRET.encode(), body_bytes, hashlib.sha256).hexdigest()
    assert headers["X-Hub-Signature-256"] == "sha256=" + expected
    assert headers["Content-Type"] == "application/json"
    assert int(headers["Content-Length"]) == len(body_bytes)
    assert b"\\/" in body_bytes and b"\\u00" in body_bytes


def test_payload_set_overrides_and_body_only():
    result = metasim("payload", "wa.text", "--set", f"{BODY_PATH}=Bonjour", "--body-only")
    assert result.returncode == 0
    payload = json.loads(result.stdout)
    assert payload["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"] == "Bonjour"


def test_payload_is_reproducible_with_a_seed():
    args = ("payload", "ig.text", "--seed", "8", "--now", "1764000000", "--body-only")
    one = metasim(*args).stdout
    assert one == metasim(*args).stdout
    # the event happened just before --now (the builder backdates it), never after
    timestamp = json.loads(one)["entry"][0]["messaging"][0]["timestamp"]
    assert 1764000000000 - 60_000 <= timestamp <= 1764000000000


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["payload", "wa.txt"], "closest: wa.text"),
        (
            ["payload", "wa.text", "--set", "entry.0.changes.0.value.mesages.0=x"],
            "no key 'mesages'",
        ),
        (["payload", "ig.text", "--dialect", "bsuid"], "allowed: classic"),
        (["payload", "wa.text", "--batch", "1001"], "at most 1000"),
        (["trigger", "wa.text", "--to", "127.0.0.1:8000", "--secret", "s"], "not an http"),
    ],
)
def test_bad_input_exits_1_with_a_clear_message(args, message):
    result = metasim(*args)
    assert result.returncode == 1
    assert result.stderr.startswith("metasim: error:") and message in result.stderr


def test_long_batches_show_progress_on_stderr():
    result = metasim("payload", "wa.text", "--batch", "300", "--body-only")
    assert result.returncode == 0
    assert "building 300 updates: 100%" in result.stderr
    assert len(json.loads(result.stdout)["entry"][0]["changes"][0]["value"]["messages"]) == 300


def test_trigger_delivers_and_redelivers(gateway_url):
    result = metasim(
        "trigger",
        "wa.text",
        "--to",
        f"{gateway_url}/webhook/wa",
        "--secret",
        SECRET,
        "--redeliver",
        "2",
        "--redeliver-mode",
        "reserialised",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("HTTP 200") == 3 and "delivered" in result.stdout


def test_trigger_with_the_wrong_secret_reports_the_refusal(gateway_url):
    result = metasim(
        "trigger", "msg.text", "--to", f"{gateway_url}/webhook/msg", "--secret", "not-it"
    )
    assert result.returncode == 1
    assert "HTTP 403" in result.stdout and "Meta counts only 200" in result.stderr


def test_trigger_with_a_defect_succeeds_when_the_gateway_refuses(gateway_url):
    result = metasim(
        "trigger",
        "ig.text",
        "--to",
        f"{gateway_url}/webhook/ig",
        "--secret",
        SECRET,
        "--defect",
        "uppercase_hex",
    )
    assert result.returncode == 0 and "refused as expected" in result.stdout


def test_trigger_retries_a_failing_gateway(gateway_url):
    result = metasim(
        "trigger",
        "wa.text",
        "--to",
        f"{gateway_url}/fail/500",
        "--secret",
        SECRET,
        "--retries",
        "2",
        "--compression",
        "1000000",
    )
    assert result.returncode == 1
    assert result.stdout.count("HTTP 500") == 3


def test_trigger_to_an_unreachable_url():
    result = metasim(
        "trigger", "wa.text", "--to", f"http://127.0.0.1:{free_port()}/webhook", "--secret", "s"
    )
    assert result.returncode == 1 and "cannot reach" in result.stderr


def test_verify_accepts_a_correct_handshake_and_flags_an_unchecked_mode(gateway_url):
    good = metasim("verify", "--to", f"{gateway_url}/webhook/wa", "--token", TOKEN)
    assert good.returncode == 0 and "handshake ok" in good.stdout
    bad = metasim("verify", "--to", f"{gateway_url}/sloppy", "--token", TOKEN)
    assert bad.returncode == 1
    assert "missing_mode" in bad.stderr and "other_mode" in bad.stderr
    assert "Meta requires 403" in bad.stdout


def test_payload_with_a_defect_prints_the_defective_headers():
    result = metasim("payload", "msg.text", "--secret", SECRET, "--defect", "uppercase_hex")
    assert result.returncode == 0
    head, body = result.stdout.split("\n\n", 1)
    headers = dict(line.split(": ", 1) for line in head.splitlines())
    digest = hmac.new(SECRET.encode(), body.removesuffix("\n").encode(), hashlib.sha256).hexdigest()
    assert headers["X-Hub-Signature-256"] == "sha256=" + digest.upper()


def test_legacy_sha1_header_is_added_on_request():
    result = metasim("payload", "ig.text", "--secret", SECRET, "--legacy-sha1")
    head, body = result.stdout.split("\n\n", 1)
    headers = dict(line.split(": ", 1) for line in head.splitlines())
    digest = hmac.new(SECRET.encode(), body.removesuffix("\n").encode(), hashlib.sha1).hexdigest()
    assert headers["X-Hub-Signature"] == "sha1=" + digest
