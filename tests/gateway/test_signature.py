"""The verifier against the openssl golden vectors and one-defect variants (docs/meta-contract.md §d)."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest

from metasim.gateway.security.signature import SignatureResult, header_value, token_matches, verify

VECTORS = json.loads(
    (Path(__file__).resolve().parents[2] / "payloads" / "vectors" / "signatures.json").read_text()
)["vectors"]


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_golden_vectors_verify_on_the_raw_bytes(vector: dict) -> None:
    body = vector["body"].encode("ascii")
    assert len(body) == vector["body_length"]
    assert verify(body, "sha256=" + vector["sha256"], vector["secret"]) is SignatureResult.VALID


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_one_defect_each_is_rejected(vector: dict) -> None:
    body, secret, digest = vector["body"].encode("ascii"), vector["secret"], vector["sha256"]
    assert verify(body, None, secret) is SignatureResult.MISSING
    assert verify(body, "", secret) is SignatureResult.MISSING
    assert verify(body, "sha256=", secret) is SignatureResult.WRONG
    assert verify(body, "sha256=" + digest.upper(), secret) is SignatureResult.WRONG
    assert verify(body, "sha1=" + vector["sha1"], secret) is SignatureResult.WRONG
    assert verify(body, "sha256:" + digest, secret) is SignatureResult.WRONG
    assert verify(body, digest, secret) is SignatureResult.WRONG
    assert verify(body + b" ", "sha256=" + digest, secret) is SignatureResult.WRONG
    assert verify(body, "sha256=" + digest, secret[::-1]) is SignatureResult.WRONG
    assert verify(body, "sha256=" + digest + "é", secret) is SignatureResult.WRONG


def test_utf8_reserialised_body_fails_with_metas_signature() -> None:
    vector = next(v for v in VECTORS if v["name"] == "french")
    meta_body = vector["body"].encode("ascii")
    utf8 = json.dumps(json.loads(meta_body), ensure_ascii=False, separators=(",", ":")).encode()
    assert utf8 != meta_body
    assert verify(utf8, "sha256=" + vector["sha256"], vector["secret"]) is SignatureResult.WRONG
    # ... and the same UTF-8 bytes signed as they are verify: the HMAC is over what arrived
    own = hmac.new(vector["secret"].encode(), utf8, hashlib.sha256).hexdigest()
    assert verify(utf8, "sha256=" + own, vector["secret"]) is SignatureResult.VALID


def test_header_is_found_in_any_casing() -> None:
    for name in ("X-Hub-Signature-256", "x-hub-signature-256", "X-HUB-SIGNATURE-256"):
        assert header_value({name: "sha256=ab", "Content-Type": "application/json"}) == "sha256=ab"
    assert header_value({"X-Hub-Signature": "sha1=ab"}) is None


def test_verify_token_compare() -> None:
    assert token_matches("tok-123", "tok-123")
    assert not token_matches("tok-124", "tok-123")
    assert not token_matches(None, "tok-123")
    assert not token_matches("", "")  # an unset token never matches
