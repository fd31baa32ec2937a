"""Signature rejection timing: 0 vs 63 leading hex chars right, in-process and through the ASGI app."""

from __future__ import annotations

import argparse
import hashlib
import hmac
import os
import platform
import random
import statistics
import tempfile
import time
from pathlib import Path

from metasim.gateway.security.signature import verify
from tests.reliability.fuzz_rig import APP_SECRET, Rig, valid_text


def forged(good: str, matching: int, rng: random.Random) -> str:
    """``good`` with its first ``matching`` hex chars kept and the rest changed, char by char."""
    hexpart = good[7:]
    tail = "".join(
        rng.choice([c for c in "0123456789abcdef" if c != h]) for h in hexpart[matching:]
    )
    return "sha256=" + hexpart[:matching] + tail


def ks(a: list[float], b: list[float]) -> float:
    """Two-sample Kolmogorov-Smirnov statistic (max distance between the empirical CDFs)."""
    a, b = sorted(a), sorted(b)
    i = j = 0
    d = 0.0
    while i < len(a) and j < len(b):
        if a[i] <= b[j]:
            i += 1
        else:
            j += 1
        d = max(d, abs(i / len(a) - j / len(b)))
    return d


def interleaved(measure, sigs: dict[str, list[str]], rounds: int) -> dict[str, list[float]]:
    """Alternate the groups sample by sample, rotating who goes first (the first call of a round
    runs slower on cold caches), so drift and order effects hit every group alike."""
    out: dict[str, list[float]] = {k: [] for k in sigs}
    keys = list(sigs)
    for i in range(rounds):
        for k in keys[i % len(keys) :] + keys[: i % len(keys)]:
            out[k].append(measure(sigs[k][i % len(sigs[k])]))
    return out


def summary(name: str, samples: dict[str, list[float]]) -> str:
    a, b, c = samples["0"], samples["63"], samples["0 again"]
    med = {k: statistics.median(v) * 1e9 for k, v in samples.items()}
    return (
        f"{name}: n={len(a)} per group; median ns 0-match {med['0']:.0f}, 63-match {med['63']:.0f}, "
        f"control (0-match, second group) {med['0 again']:.0f}; KS(0 vs 63) {ks(a, b):.4f}, "
        f"KS(0 vs control) {ks(a, c):.4f}; critical KS at 1% for this n {1.63 * (2 / len(a)) ** 0.5:.4f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=200_000, help="function-level samples/group")
    parser.add_argument("--requests", type=int, default=3_000, help="ASGI samples per group")
    args = parser.parse_args()
    rng = random.Random(1)
    body = valid_text("timing probe", 1)
    good = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    sigs = {
        k: [forged(good, m, rng) for _ in range(64)]
        for k, m in (("0", 0), ("63", 63), ("0 again", 0))
    }
    assert all(verify(body, s, APP_SECRET) == "wrong" for v in sigs.values() for s in v)

    def fn(sig: str) -> float:
        t = time.perf_counter_ns()
        verify(body, sig, APP_SECRET)
        return (time.perf_counter_ns() - t) / 1e9

    print(f"machine: nproc={os.cpu_count()} cpu={platform.processor() or platform.machine()}")
    print(summary("verify()", interleaved(fn, sigs, args.samples)))
    rig = Rig(Path(tempfile.mkdtemp()), log_level="ERROR")
    try:

        def req(sig: str) -> float:
            t = time.perf_counter_ns()
            rig.call("POST", "/webhook/wa", [(b"x-hub-signature-256", sig.encode())], body)
            return (time.perf_counter_ns() - t) / 1e9

        print(summary("ASGI POST /webhook/wa", interleaved(req, sigs, args.requests)))
    finally:
        rig.close()


if __name__ == "__main__":
    main()
