"""Stage 1 (before ACK): the body is JSON and its ``object`` names a channel this route takes."""

from __future__ import annotations

from typing import Any

from metasim.gateway.jsonfast import loads
from metasim.gateway.parsers import CHANNEL_OBJECT, OBJECTS
from metasim.gateway.pipeline.base import Ingress, Reject


class Parse:
    """Decode just enough to answer 400 now; the full parse into envelopes runs after the ACK."""

    name = "parse"

    async def __call__(self, ctx: Ingress) -> dict[str, Any]:
        try:
            data = loads(ctx.body)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            # RecursionError: nesting deeper than the decoder's limit (found by tests/reliability fuzz)
            raise Reject(
                400, "bad_json", f"body is not JSON: {exc}", "send the webhook body as JSON"
            ) from None
        if not isinstance(data, dict):
            raise Reject(
                400,
                "bad_json",
                "body must be a JSON object",
                'expected {"object": ..., "entry": [...]}',
            )
        obj = data.get("object")
        channel = OBJECTS.get(obj) if isinstance(obj, str) else None
        if channel is None:
            known = ", ".join(OBJECTS)
            raise Reject(
                400,
                "unknown_object",
                f"object {obj!r} is not one of {known}",
                "check the Meta app's webhook product",
            )
        if ctx.channel is not None and ctx.channel != channel:
            raise Reject(
                400,
                "wrong_object",
                f"/webhook/{ctx.channel} takes object {CHANNEL_OBJECT[ctx.channel]!r}, got {obj!r}",
                f"subscribe this product to /webhook/{channel} or to /webhook",
            )
        if not isinstance(data.get("entry"), list):
            raise Reject(
                400,
                "bad_webhook",
                'body has no "entry" array',
                "a Meta webhook body has an entry array",
            )
        ctx.channel = channel
        return {"object": obj, "bytes": len(ctx.body)}
