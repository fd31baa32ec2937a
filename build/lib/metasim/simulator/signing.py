"""Meta's webhook bytes and signatures: escaped-ASCII JSON signed with HMAC-SHA256 (docs/meta-contract.md §d)."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

SIGNATURE_HEADER = "X-Hub-Signature-256"
LEGACY_SIGNATURE_HEADER = "X-Hub-Signature"


def meta_bytes(payload: Any) -> bytes:
    """Serialise a payload exactly as Meta sends it.

    Meta signs "an escaped unicode version of the payload, with lowercase hex digits"
    (Messenger webhooks page): ``json.dumps(ensure_ascii=True)`` already writes lowercase
    ``\\uXXXX`` escapes and surrogate pairs for non-BMP characters; Meta also escapes ``/``.
    """
    text = json.dumps(payload, ensure_ascii=True, separators=(",", ":"))
    return text.replace("/", "\\/").encode("ascii")


def utf8_bytes(payload: Any) -> bytes:
    """Serialise as a naive re-serialiser would: raw UTF-8, unescaped ``/`` (the classic verifier bug)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sha256_hex(secret: str | bytes, body: bytes) -> str:
    """Lowercase hex HMAC-SHA256 of ``body`` keyed by the app secret."""
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def sha1_hex(secret: str | bytes, body: bytes) -> str:
    """Lowercase hex HMAC-SHA1, for the legacy ``X-Hub-Signature`` header."""
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    return hmac.new(key, body, hashlib.sha1).hexdigest()


def signature_headers(
    secret: str | bytes, body: bytes, *, legacy_sha1: bool = False
) -> dict[str, str]:
    """The headers Meta sends with a webhook POST."""
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: "sha256=" + sha256_hex(secret, body),
    }
    if legacy_sha1:
        headers[LEGACY_SIGNATURE_HEADER] = "sha1=" + sha1_hex(secret, body)
    return headers
