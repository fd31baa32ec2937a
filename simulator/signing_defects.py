"""Negative signing variants, one defect each, as a named registry (docs/meta-contract.md §d, T3)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from metasim.simulator.signing import (
    LEGACY_SIGNATURE_HEADER,
    SIGNATURE_HEADER,
    meta_bytes,
    sha1_hex,
    sha256_hex,
    signature_headers,
    utf8_bytes,
)

CONTENT_TYPE = {"Content-Type": "application/json"}


class DefectNotApplicable(ValueError):
    """This payload cannot carry the defect (e.g. its UTF-8 bytes equal Meta's bytes)."""


class SignedRequest(NamedTuple):
    """The exact body bytes and headers of one webhook POST (unpacks as ``body, headers``)."""

    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class Defect:
    """One way a signed POST departs from Meta's; ``expect`` is what a correct verifier does."""

    name: str
    description: str
    make: Callable[[Any, str, bytes], SignedRequest]
    expect: str = "reject"


def _sig(value: str) -> dict[str, str]:
    return {**CONTENT_TYPE, SIGNATURE_HEADER: value}


def _missing_header(payload: Any, secret: str, body: bytes) -> SignedRequest:
    return SignedRequest(body, dict(CONTENT_TYPE))


def _wrong_secret(payload: Any, secret: str, body: bytes) -> SignedRequest:
    # a different app's secret: same length, reversed, so only the key differs
    wrong = secret[::-1] if secret[::-1] != secret else secret + "x"
    return SignedRequest(body, _sig("sha256=" + sha256_hex(wrong, body)))


def _flip_one_byte(body: bytes) -> bytes:
    """Change the last digit of the body to another digit: still valid JSON, one byte differs."""
    for i in range(len(body) - 1, -1, -1):
        if 0x30 <= body[i] <= 0x39:
            flipped = 0x30 + (body[i] - 0x30 + 1) % 10
            return body[:i] + bytes([flipped]) + body[i + 1 :]
    raise DefectNotApplicable("body has no digit to change")


def _body_one_byte(payload: Any, secret: str, body: bytes) -> SignedRequest:
    return SignedRequest(_flip_one_byte(body), _sig("sha256=" + sha256_hex(secret, body)))


def _body_whitespace(payload: Any, secret: str, body: bytes) -> SignedRequest:
    # a proxy that pretty-prints: one space added after the first ':' keeps the JSON equal
    index = body.find(b":")
    if index < 0:
        raise DefectNotApplicable("body has no ':' to add whitespace after")
    changed = body[: index + 1] + b" " + body[index + 1 :]
    return SignedRequest(changed, _sig("sha256=" + sha256_hex(secret, body)))


def _uppercase_hex(payload: Any, secret: str, body: bytes) -> SignedRequest:
    # Meta sends lowercase hex; a verifier comparing strings exactly must reject uppercase.
    return SignedRequest(body, _sig("sha256=" + sha256_hex(secret, body).upper()))


def _sha1_only(payload: Any, secret: str, body: bytes) -> SignedRequest:
    # a valid legacy signature, but no X-Hub-Signature-256: the current contract requires it
    return SignedRequest(
        body, {**CONTENT_TYPE, LEGACY_SIGNATURE_HEADER: "sha1=" + sha1_hex(secret, body)}
    )


def _wrong_prefix(payload: Any, secret: str, body: bytes) -> SignedRequest:
    return SignedRequest(body, _sig("sha1=" + sha256_hex(secret, body)))


def _colon_prefix(payload: Any, secret: str, body: bytes) -> SignedRequest:
    return SignedRequest(body, _sig("sha256:" + sha256_hex(secret, body)))


def _no_prefix(payload: Any, secret: str, body: bytes) -> SignedRequest:
    return SignedRequest(body, _sig(sha256_hex(secret, body)))


def _utf8_reserialised(payload: Any, secret: str, body: bytes) -> SignedRequest:
    """UTF-8 bytes on the wire, Meta's signature of the escaped bytes in the header.

    This is what a verifier that re-serialises the parsed JSON in Meta's form effectively
    checks: it would accept this POST although the HMAC of the raw bytes it received does not
    match. A verifier hashing the raw bytes rejects it. The mirror image (Meta's bytes rejected
    by a gateway hashing a UTF-8 re-serialisation) is caught by delivering a valid signed
    non-ASCII payload, which must be accepted.
    """
    wire = utf8_bytes(json.loads(body))
    if wire == body:
        raise DefectNotApplicable(
            "payload is pure ASCII without '/', so its UTF-8 bytes equal Meta's; "
            "use a text with an accent, an emoji or a URL"
        )
    return SignedRequest(wire, _sig("sha256=" + sha256_hex(secret, body)))


def _empty_signature(payload: Any, secret: str, body: bytes) -> SignedRequest:
    return SignedRequest(body, _sig(""))


def _empty_digest(payload: Any, secret: str, body: bytes) -> SignedRequest:
    # the other reading of "empty signature": the prefix is there, the digest is not
    return SignedRequest(body, _sig("sha256="))


DEFECTS: dict[str, Defect] = {
    d.name: d
    for d in (
        Defect("missing_header", "no X-Hub-Signature-256 header at all", _missing_header),
        Defect("wrong_secret", "signed with another app secret", _wrong_secret),
        Defect("body_one_byte", "body changed by one byte after signing", _body_one_byte),
        Defect("body_whitespace", "one space added to the body after signing", _body_whitespace),
        Defect("uppercase_hex", "digest in uppercase hex (Meta sends lowercase)", _uppercase_hex),
        Defect("sha1_only", "only the legacy X-Hub-Signature: sha1=... header", _sha1_only),
        Defect("wrong_prefix", "sha1= prefix on the SHA-256 digest", _wrong_prefix),
        Defect("colon_prefix", "sha256: instead of sha256= before the digest", _colon_prefix),
        Defect("no_prefix", "bare hex digest without sha256=", _no_prefix),
        Defect(
            "utf8_reserialised",
            "UTF-8 body on the wire, signature of Meta's escaped bytes",
            _utf8_reserialised,
        ),
        Defect("empty_signature", "X-Hub-Signature-256 present but empty", _empty_signature),
        Defect("empty_digest", "X-Hub-Signature-256: sha256= with no digest", _empty_digest),
    )
}


def signed(
    payload: Any, secret: str, *, legacy_sha1: bool = False, body: bytes | None = None
) -> SignedRequest:
    """The valid POST Meta sends: Meta's bytes (or ``body`` as given) and its signature headers."""
    wire = meta_bytes(payload) if body is None else body
    return SignedRequest(wire, signature_headers(secret, wire, legacy_sha1=legacy_sha1))


def defective(name: str, payload: Any, secret: str, *, body: bytes | None = None) -> SignedRequest:
    """The POST with defect ``name``; an unknown name lists the registry."""
    defect = DEFECTS.get(name)
    if defect is None:
        raise KeyError(f"unknown signing defect {name!r}; known: {', '.join(DEFECTS)}")
    return defect.make(payload, secret, meta_bytes(payload) if body is None else body)
