"""Payloads signed per second: metasim's Meta-exact signer vs a bare json.dumps + hmac loop.

Run: ``.venv/bin/python -m bench.bench_signing`` (a few seconds). Both loops sign the same dicts
in the same run, so the ratio holds on any machine.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import platform
import time
from collections.abc import Callable
from typing import Any

from metasim.simulator import catalogue
from metasim.simulator.context import BuildContext
from metasim.simulator.signing import meta_bytes, signature_headers

SECRET = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
KEY = SECRET.encode()


def ours(payload: Any) -> dict[str, str]:
    """What delivery does per POST: Meta's bytes, then the signature headers."""
    return signature_headers(SECRET, meta_bytes(payload))


def bare(payload: Any) -> str:
    """The baseline: plain ensure_ascii JSON and one HMAC, nothing else."""
    body = json.dumps(payload, ensure_ascii=True).encode()
    return hmac.new(KEY, body, hashlib.sha256).hexdigest()


def rate(fn: Callable[[Any], Any], payload: Any, seconds: float) -> float:
    """Calls per second of ``fn(payload)``, best of 3 rounds of ``seconds / 3``."""
    best = 0.0
    for _ in range(3):
        count, start = 0, time.perf_counter()
        deadline = start + seconds / 3
        while time.perf_counter() < deadline:
            fn(payload)
            count += 1
        best = max(best, count / (time.perf_counter() - start))
    return best


def built_and_signed(name: str, seconds: float) -> float:
    """Fresh payloads built from the catalogue and signed, per second (informative)."""
    ctx = BuildContext.seeded(1)
    return rate(lambda _: ours(catalogue.build(name, ctx)), None, seconds)


def cpu_model() -> str:
    """The CPU model from /proc/cpuinfo, or what platform knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> None:
    """Print a markdown table of rates and ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=1.5, help="time per measurement")
    args = parser.parse_args()
    ctx = BuildContext.seeded(7, now=1764000000)
    cases = {
        "one WhatsApp text (wa.text)": catalogue.build("wa.text", ctx),
        "1000-update batch (batch.wa.1000)": catalogue.build("batch.wa.1000", ctx),
    }
    print(f"machine: {os.cpu_count()} CPU(s), {cpu_model()}, Python {platform.python_version()}")
    print("| payload | bytes | metasim signs/s | bare json.dumps+hmac/s | ratio |")
    print("|---|---|---|---|---|")
    for label, payload in cases.items():
        ours_rate = rate(ours, payload, args.seconds)
        bare_rate = rate(bare, payload, args.seconds)
        size = len(meta_bytes(payload))
        print(
            f"| {label} | {size} | {ours_rate:,.0f} | {bare_rate:,.0f} | {ours_rate / bare_rate:.2f} |"
        )
    print()
    print("| built from the catalogue and signed | payloads/s |")
    print("|---|---|")
    for name in ("wa.text", "batch.wa.1000"):
        print(f"| {name} | {built_and_signed(name, args.seconds):,.1f} |")


if __name__ == "__main__":
    main()
