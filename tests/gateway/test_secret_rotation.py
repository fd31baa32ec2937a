"""App secret rotation: META_APP_SECRET_PREVIOUS keeps the old secret valid during the switch.

Signatures here come from the openssl command line, not from any Python HMAC code, so the
gateway's verifier is checked against an independent implementation.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.gateway.conftest import Logs, make_runtime, meta_bytes

pytestmark = pytest.mark.anyio
CURRENT = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
PREVIOUS = "5e4d3c2b1a0f9e8d7c6b5a4938271605"
STRANGER = "ffffffffffffffffffffffffffffffff"


def openssl_signature(body: bytes, secret: str) -> str:
    """``sha256=<hex>`` as ``openssl dgst -sha256 -hmac`` computes it over the raw bytes."""
    out = subprocess.run(
        ["openssl", "dgst", "-sha256", "-hmac", secret],
        input=body,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return "sha256=" + out.strip().rsplit(" ", 1)[-1]


def _body() -> bytes:
    return meta_bytes({"object": "whatsapp_business_account", "entry": [{"id": "1", "x": "é/"}]})


async def _post(client_for, rt, body: bytes, signature: str) -> int:
    async with client_for(rt) as c:
        r = await c.post("/webhook/wa", content=body, headers={"X-Hub-Signature-256": signature})
    return r.status_code


def test_the_openssl_helper_matches_a_known_vector() -> None:
    # RFC 4231-style sanity: HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog")
    sig = openssl_signature(b"The quick brown fox jumps over the lazy dog", "key")
    assert sig == "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"


async def test_during_rotation_both_secrets_are_accepted_in_enforce_mode(
    client_for, logs: Logs
) -> None:
    rt = make_runtime(META_APP_SECRET=CURRENT, META_APP_SECRET_PREVIOUS=PREVIOUS)
    body = _body()
    assert await _post(client_for, rt, body, openssl_signature(body, CURRENT)) == 200
    assert await _post(client_for, rt, body, openssl_signature(body, PREVIOUS)) == 200
    assert await _post(client_for, rt, body, openssl_signature(body, STRANGER)) == 403
    lines = [x for x in logs.lines if x["stage"] == "signature"]
    assert [x.get("signed_with") for x in lines[:2]] == ["current", "previous"]
    # operators watch this to know when the old secret can be dropped
    labels = {"channel": "wa", "mode": "enforce", "result": "valid_previous"}
    assert rt.metrics.value("signature_total", labels) == 1


async def test_without_a_previous_secret_the_old_signature_is_refused(client_for, logs) -> None:
    rt = make_runtime(META_APP_SECRET=CURRENT)
    body = _body()
    assert await _post(client_for, rt, body, openssl_signature(body, PREVIOUS)) == 403
    assert await _post(client_for, rt, body, openssl_signature(body, CURRENT)) == 200


def test_the_previous_secret_is_hidden_and_masked_like_the_current_one() -> None:
    import io

    from metasim.gateway.observability.logs import configure_logging, log_event

    rt = make_runtime(META_APP_SECRET=CURRENT, META_APP_SECRET_PREVIOUS=PREVIOUS)
    assert PREVIOUS in rt.settings.secret_values() and PREVIOUS not in repr(rt.settings)
    stream = io.StringIO()
    configure_logging(stream=stream, secrets=rt.settings.secret_values())
    try:
        log_event("INFO", f"leaked {PREVIOUS}", stage="test")
    finally:
        configure_logging()
    assert PREVIOUS not in stream.getvalue()
    assert json.loads(stream.getvalue())["msg"] == "leaked ***"
