"""Property: a raw-bytes verifier accepts Meta's bytes and rejects a UTF-8 re-serialisation."""

from __future__ import annotations

import hashlib
import hmac
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from metasim.simulator.signing import meta_bytes, signature_headers, utf8_bytes
from metasim.simulator.signing_defects import DefectNotApplicable, defective
from tests.support.webhooks import wa_text_webhook

SECRET = "6d1c2a9f0e8b7d6c5a4f3e2d1c0b9a88"


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """An independent verifier, as a correct gateway writes it: HMAC of the raw received bytes."""
    if header is None or not header.startswith("sha256="):
        return False
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(digest, header.removeprefix("sha256="))


# any Unicode text except lone surrogates, which JSON cannot carry as UTF-8
texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)


@settings(max_examples=300, deadline=None)
@given(texts)
def test_meta_bytes_verify_and_utf8_reserialisation_does_not(text):
    payload = wa_text_webhook(text)
    body = meta_bytes(payload)
    headers = signature_headers(SECRET, body)
    assert body.isascii()
    assert json.loads(body) == payload
    assert verify(SECRET, body, headers["X-Hub-Signature-256"])
    reserialised = utf8_bytes(payload)
    if reserialised != body:
        # the gateway that hashes its own UTF-8 re-serialisation gets another digest
        assert not verify(SECRET, reserialised, headers["X-Hub-Signature-256"])
        wire, bad_headers = defective("utf8_reserialised", payload, SECRET)
        assert wire == reserialised
        assert not verify(SECRET, wire, bad_headers["X-Hub-Signature-256"])
    else:
        assert text.isascii() and "/" not in text
        try:
            defective("utf8_reserialised", payload, SECRET)
        except DefectNotApplicable:
            pass
        else:
            raise AssertionError("the defect must refuse a payload whose bytes cannot differ")
