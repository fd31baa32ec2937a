"""Hostile webhook requests: byte mutations of catalogue samples, malformed JSON, hostile headers."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass

from metasim.simulator.catalogue import build, names
from metasim.simulator.context import BuildContext
from metasim.simulator.signing import meta_bytes
from tests.reliability.fuzz_rig import Headers, sign

PATHS = ("/webhook", "/webhook/wa", "/webhook/ig", "/webhook/msg")
CONTENT_TYPES = (
    b"application/json",
    b"text/plain",
    b"application/x-www-form-urlencoded",
    b"multipart/form-data; boundary=x",
    b"application/json; charset=latin-1",
    b"application/xml",
    b"",
    b"\xff\xfe",
)
# Values that break naive code: wrong JSON types at every level of a webhook.
WRONG = [None, 0, -1, 1e308, "", "x" * 300, [], {}, [None], True, {"id": None}, "\u0000"]
INVALID_UTF8 = (b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\x80")


@dataclass
class Case:
    """One request to send: why it is hostile, and what exactly goes on the wire."""

    kind: str
    path: str
    headers: Headers
    body: bytes


def samples(seed: int = 1) -> list[bytes]:
    """Meta-wire bytes of every catalogue event, fresh ids from a seeded context."""
    return [meta_bytes(build(n, BuildContext.seeded(seed + i))) for i, n in enumerate(names())]


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One to four byte-level mutations: flip, insert, delete, duplicate, truncate, splice bad UTF-8."""
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(6)
        at = rng.randrange(len(buf) + 1)
        if op == 0 and buf:
            buf[min(at, len(buf) - 1)] ^= 1 << rng.randrange(8)
        elif op == 1:
            buf[at:at] = bytes([rng.randrange(256)]) * rng.randint(1, 8)
        elif op == 2:
            del buf[at : at + rng.randint(1, 16)]
        elif op == 3:
            end = min(len(buf), at + rng.randint(1, 64))
            buf[at:at] = buf[at:end] * rng.randint(1, 20)
        elif op == 4:
            del buf[at:]
        else:
            buf[at:at] = rng.choice(INVALID_UTF8)
    return bytes(buf)


def _set_wrong(doc: object, rng: random.Random) -> object:
    """Replace one random node of ``doc`` with a wrong-typed value."""
    if not isinstance(doc, (dict, list)) or not doc or rng.random() < 0.3:
        return rng.choice(WRONG)
    if isinstance(doc, dict):
        key = rng.choice(list(doc))
        doc[key] = _set_wrong(doc[key], rng)
    else:
        i = rng.randrange(len(doc))
        doc[i] = _set_wrong(doc[i], rng)
    return doc


def structural(sample: bytes, rng: random.Random) -> bytes:
    """A JSON-valid but hostile body: wrong types, huge arrays, deep nesting, odd numbers."""
    doc = json.loads(sample)
    pick = rng.randrange(6)
    if pick == 0:
        return json.dumps(_set_wrong(doc, rng)).encode()
    if pick == 1:  # huge array of entries (bounded so a run stays short)
        doc["entry"] = doc["entry"] * rng.choice((100, 2_000))
        return json.dumps(doc).encode()
    if pick == 2:  # deep nesting, past Python's recursion limit
        depth = rng.choice((100, 1_000, 50_000))
        return b'{"object":"page","entry":' + b"[" * depth + b"]" * depth + b"}"
    if pick == 3:
        return rng.choice(
            (b"NaN", b"1e999999", b"-0", b'"entry"', b"null", b"[]", b"{}", b"\xef\xbb\xbf{}")
        )
    if pick == 4:  # duplicate keys and a big integer where ids are strings
        return sample[:-1] + b',"object":' + str(10**400).encode() + b"}"
    return json.dumps(doc, ensure_ascii=False).encode("utf-16")


def hostile_headers(body: bytes, rng: random.Random) -> list[tuple[bytes, bytes]]:
    """Headers meant to confuse: bad content types, injected CRLF, huge or non-ASCII values."""
    headers = [(b"content-type", rng.choice(CONTENT_TYPES))]
    pick = rng.randrange(8)
    if pick == 0:
        headers.append((b"x-correlation-id", b"abc\r\nSet-Cookie: pwned=1"))
    elif pick == 1:
        headers.append((b"x-hub-signature-256", sign(body).encode() + b"\r\nx-evil: 1"))
    elif pick == 2:
        headers.append((b"x-hub-signature-256", "sha256=é".encode() * 50))
    elif pick == 3:
        headers.append((b"x-request-id", b"r" * 100_000))
    elif pick == 4:  # two signature headers, the wrong one first
        headers += [(b"x-hub-signature-256", b"sha256=" + b"0" * 64)]
        headers += [(b"x-hub-signature-256", sign(body).encode())]
    elif pick == 5:  # declared length lies
        headers.append((b"content-length", rng.choice((b"0", b"-1", b"99999999999", b"abc"))))
    elif pick == 6:
        headers.append((b"x-hub-signature-256", sign(body).upper().encode()))
    else:
        headers.append((b"\xff\xfe", b"\x00\x01"))
    return headers


def cases(count: int, seed: int = 0) -> Iterator[Case]:
    """``count`` hostile requests; about half carry a correct signature so they reach parsing."""
    rng = random.Random(seed)
    pool = samples(seed)
    for i in range(count):
        sample = rng.choice(pool)
        roll = i % 4
        if roll == 0:
            kind, body = "mutated", mutate(sample, rng)
        elif roll == 1:
            kind, body = "structural", structural(sample, rng)
        elif roll == 2:
            kind, body = "mutated-signed", mutate(sample, rng)
        else:
            kind, body = "headers", rng.choice((sample, mutate(sample, rng)))
        if roll == 3:
            headers = hostile_headers(body, rng)
        elif roll == 0 and rng.random() < 0.5:
            headers = [
                (b"x-hub-signature-256", b"sha256=" + bytes(rng.randrange(256) for _ in range(64)))
            ]
        else:
            headers = [
                (b"content-type", b"application/json"),
                (b"x-hub-signature-256", sign(body).encode()),
            ]
        yield Case(kind, rng.choice(PATHS), headers, body)
