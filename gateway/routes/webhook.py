"""GET handshake and POST webhooks on /webhook/wa|ig|msg and /webhook (routing on ``object``)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from gateway.observability.logs import log_event
from gateway.pipeline.base import Ingress, Reject
from gateway.pipeline.runner import ingress
from gateway.runtime import Runtime
from gateway.security.signature import token_matches

PATHS = {"/webhook/wa": "wa", "/webhook/ig": "ig", "/webhook/msg": "msg", "/webhook": None}
Endpoint = Callable[[Request], Awaitable[Response]]


def webhook_routes(runtime: Runtime) -> list[Route]:
    """One GET (handshake) and one POST (events) per webhook path."""
    routes = []
    for path, channel in PATHS.items():
        routes.append(Route(path, _handshake(runtime, channel), methods=["GET"]))
        routes.append(Route(path, _receive(runtime, channel), methods=["POST"]))
    return routes


def _handshake(runtime: Runtime, channel: str | None) -> Endpoint:
    async def handshake(request: Request) -> Response:
        """200 with the bare hub.challenge only for hub.mode=subscribe and the right token."""
        q = request.query_params
        mode, token, challenge = (
            q.get("hub.mode"),
            q.get("hub.verify_token"),
            q.get("hub.challenge"),
        )
        ok = (
            mode == "subscribe"
            and token_matches(token, runtime.settings.verify_token)
            and challenge is not None
        )
        log_event(
            "INFO" if ok else "WARNING",
            "handshake accepted" if ok else "handshake refused",
            stage="handshake",
            channel=channel,
            mode=mode,
            result="ok" if ok else ("bad_mode" if mode != "subscribe" else "bad_token"),
        )
        if not ok:
            return PlainTextResponse("Forbidden", status_code=403)
        return PlainTextResponse(challenge or "")

    return handshake


def _receive(runtime: Runtime, channel: str | None) -> Endpoint:
    max_bytes = runtime.settings.max_body_bytes

    async def receive(request: Request) -> Response:
        """Read, check size, parse just enough, verify, store durably, then 200 (the ACK path)."""
        start = time.perf_counter()
        headers = request.headers
        cid = _correlation_id(headers.get("x-correlation-id") or headers.get("x-request-id"))
        try:
            body = await _read(request, max_bytes)
        except Reject as reject:
            runtime.metrics.errors.labels(channel or "unknown", reject.code).inc()
            runtime.metrics.inbound.labels(channel or "unknown", "rejected").inc()
            log_event("WARNING", reject.message, stage="parse", channel=channel, correlation_id=cid,
                      outcome="rejected", status=reject.status, code=reject.code)  # fmt: skip
            return JSONResponse(reject.body(), status_code=reject.status)
        ctx = Ingress(runtime, channel, body, headers, cid, runtime.clock())
        refused = await ingress(ctx)
        if refused is not None:
            return JSONResponse(refused.body(), status_code=refused.status)
        runtime.metrics.ack_latency.labels(ctx.channel).observe(time.perf_counter() - start)
        # Meta only needs a 200; EVENT_RECEIVED is what Meta's own sample servers answer
        return PlainTextResponse("EVENT_RECEIVED", headers={"x-correlation-id": cid})

    return receive


async def _read(request: Request, max_bytes: int) -> bytes:
    """The body, refusing more than MAX_BODY_BYTES without reading it all (413)."""
    too_large = Reject(
        413,
        "too_large",
        f"body exceeds MAX_BODY_BYTES ({max_bytes} bytes)",
        "Meta caps webhook payloads at 3 MB; raise MAX_BODY_BYTES only if a proxy batches more",
    )
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit():
        if int(declared) > max_bytes:
            raise too_large
        try:
            body = await request.body()
        except ClientDisconnect:
            raise Reject(400, "disconnected", "client went away mid-body") from None
        if len(body) > max_bytes:
            raise too_large
        return body
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > max_bytes:
                raise too_large
            chunks.append(chunk)
    except ClientDisconnect:
        raise Reject(400, "disconnected", "client went away mid-body") from None
    return b"".join(chunks)


def _correlation_id(given: str | None) -> str:
    """The caller's id when it is a sane token (so traces join up), else a fresh one."""
    if given and len(given) <= 128 and given.isascii() and given.isprintable() and " " not in given:
        return given
    return uuid.uuid4().hex
