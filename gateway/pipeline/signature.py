"""Stage 2 (before ACK): META_SIGNATURE_REQUIRED off | warn | enforce on X-Hub-Signature-256 (P0-05)."""

from __future__ import annotations

from typing import Any

from gateway.pipeline.base import Ingress, Reject
from gateway.security.signature import SignatureResult, header_value, verify

NAME = "signature"


def run(ctx: Ingress) -> dict[str, Any]:
    """Enforce rejects here (401 missing, 403 wrong), before anything is stored; warn logs and counts."""
    settings = ctx.runtime.settings
    mode = settings.signature_mode
    if mode == "off":
        result = SignatureResult.SKIPPED.value
    elif not settings.app_secret:
        result = "no_secret"  # warn mode without META_APP_SECRET: nothing to check against
    else:
        result = verify(ctx.body, header_value(ctx.headers), settings.app_secret).value
    ctx.signature = result
    metrics = ctx.runtime.metrics
    metrics.child(metrics.signature, ctx.channel, mode, result).inc()
    if mode == "enforce":
        if result == SignatureResult.MISSING:
            raise Reject(
                401,
                "signature_missing",
                "X-Hub-Signature-256 header is missing or empty",
                "Meta signs every webhook POST; check that no proxy strips the header",
            )
        if result != SignatureResult.VALID:
            raise Reject(
                403,
                "signature_mismatch",
                "X-Hub-Signature-256 does not match the body",
                "check META_APP_SECRET is this app's secret and nothing re-encodes the body",
            )
    level = "WARNING" if mode == "warn" and result != SignatureResult.VALID else "INFO"
    return {"level": level, "mode": mode, "result": result}
