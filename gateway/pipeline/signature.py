"""Stage 2 (before ACK): META_SIGNATURE_REQUIRED off | warn | enforce on X-Hub-Signature-256 (P0-05)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from metasim.gateway.pipeline.base import Ingress, Reject
from metasim.gateway.security.signature import SignatureResult, header_value, verify

if TYPE_CHECKING:
    from metasim.gateway.observability.metrics import Metrics

# signed with META_APP_SECRET_PREVIOUS: accepted, counted apart so operators see when the old
# secret stops being used and can be removed
VALID_PREVIOUS = "valid_previous"


class Signature:
    """Enforce rejects here (401 missing, 403 wrong), before anything is stored; warn logs and counts."""

    name = "signature"

    def __init__(self, mode: str, secret: str, previous: str, metrics: Metrics) -> None:
        self.mode = mode
        self.secret = secret
        self.previous = previous
        self.metrics = metrics

    async def __call__(self, ctx: Ingress) -> dict[str, Any]:
        mode = self.mode
        if mode == "off":
            result = SignatureResult.SKIPPED.value
        elif not self.secret:
            result = "no_secret"  # warn mode without META_APP_SECRET: nothing to check against
        else:
            value = header_value(ctx.headers)
            result = verify(ctx.body, value, self.secret).value
            # rotation window: a second HMAC, only for bodies the current secret refused
            if (
                result == SignatureResult.WRONG
                and self.previous
                and verify(ctx.body, value, self.previous) == SignatureResult.VALID
            ):
                result = VALID_PREVIOUS
        self.metrics.child(self.metrics.signature, ctx.channel, mode, result).inc()
        if mode == "enforce":
            if result == SignatureResult.MISSING:
                raise Reject(
                    401,
                    "signature_missing",
                    "X-Hub-Signature-256 header is missing or empty",
                    "Meta signs every webhook POST; check that no proxy strips the header",
                )
            if result not in (SignatureResult.VALID, VALID_PREVIOUS):
                raise Reject(
                    403,
                    "signature_mismatch",
                    "X-Hub-Signature-256 does not match the body",
                    "check META_APP_SECRET is this app's secret and nothing re-encodes the body",
                )
        valid = result in (SignatureResult.VALID, VALID_PREVIOUS)
        level = "WARNING" if mode == "warn" and not valid else "INFO"
        fields = {"level": level, "mode": mode, "result": result}
        if valid:
            fields["signed_with"] = "previous" if result == VALID_PREVIOUS else "current"
        return fields
