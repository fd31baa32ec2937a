"""Each signing defect departs from Meta's valid POST in exactly one way."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from metasim.simulator.signing_defects import DEFECTS, DefectNotApplicable, defective, signed

SECRET = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
PAYLOAD = {
    "object": "page",
    "entry": [
        {
            "id": "1",
            "time": 1764000000000,
            "messaging": [
                {
                    "sender": {"id": "2"},
                    "recipient": {"id": "1"},
                    "timestamp": 1764000000000,
                    "message": {"mid": "m_1", "text": "Très bien / 👍"},
                }
            ],
        }
    ],
}
VALID_BODY = (
    b'{"object":"page","entry":[{"id":"1","time":1764000000000,"messaging":[{"sender":{"id":"2"},'
    b'"recipient":{"id":"1"},"timestamp":1764000000000,"message":{"mid":"m_1",'
    b'"text":"Tr\\u00e8s bien \\/ \\ud83d\\udc4d"}}]}]}'
)


def hexmac(body: bytes, algo=hashlib.sha256, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), body, algo).hexdigest()


def test_the_valid_request_is_metas():
    body, headers = signed(PAYLOAD, SECRET)
    assert body == VALID_BODY
    assert headers == {
        "Content-Type": "application/json",
        "X-Hub-Signature-256": "sha256=" + hexmac(body),
    }


EXPECTED = {
    "missing_header": (VALID_BODY, {"Content-Type": "application/json"}),
    "uppercase_hex": (VALID_BODY, {"X-Hub-Signature-256": "sha256=" + hexmac(VALID_BODY).upper()}),
    "sha1_only": (VALID_BODY, {"X-Hub-Signature": "sha1=" + hexmac(VALID_BODY, hashlib.sha1)}),
    "wrong_prefix": (VALID_BODY, {"X-Hub-Signature-256": "sha1=" + hexmac(VALID_BODY)}),
    "colon_prefix": (VALID_BODY, {"X-Hub-Signature-256": "sha256:" + hexmac(VALID_BODY)}),
    "no_prefix": (VALID_BODY, {"X-Hub-Signature-256": hexmac(VALID_BODY)}),
    "empty_signature": (VALID_BODY, {"X-Hub-Signature-256": ""}),
    "empty_digest": (VALID_BODY, {"X-Hub-Signature-256": "sha256="}),
    "utf8_reserialised": (
        json.dumps(PAYLOAD, ensure_ascii=False, separators=(",", ":")).encode(),
        {"X-Hub-Signature-256": "sha256=" + hexmac(VALID_BODY)},
    ),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_header_and_reserialisation_defects(name):
    body, headers = defective(name, PAYLOAD, SECRET)
    want_body, want_headers = EXPECTED[name]
    assert body == want_body
    assert headers == {"Content-Type": "application/json", **want_headers}


def test_wrong_secret_signs_the_right_bytes_with_another_key():
    body, headers = defective("wrong_secret", PAYLOAD, SECRET)
    assert body == VALID_BODY
    digest = headers["X-Hub-Signature-256"].removeprefix("sha256=")
    assert len(digest) == 64 and digest != hexmac(VALID_BODY)


@pytest.mark.parametrize("name", ["body_one_byte", "body_whitespace"])
def test_body_defects_keep_the_signature_of_the_original_bytes(name):
    body, headers = defective(name, PAYLOAD, SECRET)
    assert headers["X-Hub-Signature-256"] == "sha256=" + hexmac(VALID_BODY)
    assert json.loads(body)  # still JSON: only the signature check can catch it
    if name == "body_one_byte":
        assert len(body) == len(VALID_BODY)
        assert sum(a != b for a, b in zip(body, VALID_BODY, strict=True)) == 1
    else:
        assert len(body) == len(VALID_BODY) + 1
        assert json.loads(body) == json.loads(VALID_BODY)


def test_every_defect_is_tested_here():
    assert set(DEFECTS) == set(EXPECTED) | {"wrong_secret", "body_one_byte", "body_whitespace"}


def test_utf8_defect_refuses_a_payload_whose_bytes_cannot_differ():
    with pytest.raises(DefectNotApplicable, match="accent"):
        defective("utf8_reserialised", {"object": "page", "entry": []}, SECRET)


def test_unknown_defect_lists_the_registry():
    with pytest.raises(KeyError, match="missing_header"):
        defective("bad_sig", PAYLOAD, SECRET)
