"""The signer against the golden vectors of payloads/vectors (made with printf + openssl)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from metasim.simulator.signing import meta_bytes, sha1_hex, sha256_hex, signature_headers

VECTORS = json.loads(
    (Path(__file__).resolve().parents[2] / "payloads" / "vectors" / "signatures.json").read_text(
        "utf-8"
    )
)["vectors"]
IDS = [v["name"] for v in VECTORS]


def test_the_vectors_cover_what_meta_escapes():
    bodies = {v["name"]: v["body"] for v in VECTORS}
    assert "\\u00e4\\u00f6\\u00e5" in bodies["french"]  # Meta's own example
    assert "\\ud83d\\udc4d" in bodies["emoji"]
    assert "https:\\/\\/youtu.be\\/" in bodies["slashes"]
    assert len(VECTORS) >= 5 and all(v["body"].isascii() for v in VECTORS)


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_meta_bytes_reproduces_the_vector_bytes(vector):
    body = meta_bytes(vector["payload"])
    assert body == vector["body"].encode("ascii")
    assert len(body) == vector["body_length"]


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_signatures_match_the_vectors(vector):
    body = vector["body"].encode("ascii")
    assert sha256_hex(vector["secret"], body) == vector["sha256"]
    assert sha1_hex(vector["secret"], body) == vector["sha1"]
    headers = signature_headers(vector["secret"], body, legacy_sha1=True)
    assert headers["X-Hub-Signature-256"] == "sha256=" + vector["sha256"]
    assert headers["X-Hub-Signature"] == "sha1=" + vector["sha1"]


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not on PATH")
@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_openssl_still_agrees_with_the_stored_digests(vector, tmp_path):
    path = tmp_path / "body"
    path.write_bytes(vector["body"].encode("ascii"))
    for algo, expected in (("-sha256", vector["sha256"]), ("-sha1", vector["sha1"])):
        out = subprocess.run(
            ["openssl", "dgst", algo, "-hmac", vector["secret"], str(path)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        assert out.strip().split()[-1] == expected
