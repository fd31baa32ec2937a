"""Verify X-Hub-Signature-256 on the raw body bytes, constant-time (docs/meta-contract.md §d).

Written independently of simulator/signing.py on purpose (signing is written twice on purpose): both sides are checked
against the openssl vectors in payloads/vectors, so one bug cannot pass on both.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from enum import StrEnum

HEADER = "x-hub-signature-256"
PREFIX = "sha256="


class SignatureResult(StrEnum):
    """Outcome of one check; ``missing`` answers 401 and ``wrong`` 403 in enforce mode."""

    VALID = "valid"
    MISSING = "missing"
    WRONG = "wrong"
    SKIPPED = "skipped"  # mode off: not checked at all


def header_value(headers: Mapping[str, str]) -> str | None:
    """The X-Hub-Signature-256 value whatever the header's casing (HTTP names are case-insensitive)."""
    value = headers.get(HEADER)
    if value is None:
        # plain dicts (tests, stored inbox headers) keep the sender's casing
        for name, v in headers.items():
            if name.lower() == HEADER:
                return v
    return value


def expected(secret: str, body: bytes) -> str:
    """``sha256=`` + lowercase hex HMAC-SHA256 of ``body`` under the app secret."""
    return PREFIX + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(body: bytes, value: str | None, secret: str) -> SignatureResult:
    """Check one signature header value against the raw bytes received.

    The HMAC covers the bytes exactly as received: Meta signs its escaped-ASCII bytes, and any
    re-serialisation of the parsed JSON would change them. The compare is over the whole header
    value with ``hmac.compare_digest`` so timing leaks nothing; Meta sends lowercase hex, so an
    uppercase digest or another prefix (``sha1=``, ``sha256:``) does not match.
    """
    if value is None or not value.strip():
        return SignatureResult.MISSING
    want = expected(secret, body)
    got = value.strip()
    # compare_digest needs ASCII str on both sides; a non-ASCII header is simply wrong
    if not got.isascii():
        return SignatureResult.WRONG
    return SignatureResult.VALID if hmac.compare_digest(want, got) else SignatureResult.WRONG


def token_matches(given: str | None, configured: str) -> bool:
    """Constant-time check of the handshake's hub.verify_token (never matches an unset token)."""
    if not configured or given is None:
        return False
    return hmac.compare_digest(given.encode("utf-8"), configured.encode("utf-8"))
