"""GET handshake and POST webhooks on /webhook/wa|ig|msg and /webhook (routing on ``object``)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Message, Receive, Scope, Send

from metasim.gateway.observability.logs import log_event, log_exception
from metasim.gateway.observability.metrics import Metrics
from metasim.gateway.pipeline.base import Ingress, Reject
from metasim.gateway.pipeline.build import IngressRunner, ingress_runner
from metasim.gateway.routes.bodies import asgi_chunks, read_limited
from metasim.gateway.runtime import Runtime
from metasim.gateway.security.signature import token_matches

PATHS = {"/webhook/wa": "wa", "/webhook/ig": "ig", "/webhook/msg": "msg", "/webhook": None}
Endpoint = Callable[[Request], Awaitable[Response]]
JSON = b"application/json"
TEXT = b"text/plain; charset=utf-8"


def webhook_routes(runtime: Runtime) -> list[Route]:
    """One GET (handshake) and one POST (events) per webhook path."""
    routes = []
    runner = ingress_runner(runtime)
    limit, metrics, clock = runtime.settings.max_body_bytes, runtime.metrics, runtime.clock
    for path, channel in PATHS.items():
        routes.append(Route(path, _handshake(runtime, channel), methods=["GET"]))
        receiver = WebhookReceiver(runner, metrics, clock, limit, channel)
        routes.append(Route(path, receiver, methods=["POST"]))
    return routes


def webhook_receivers(routes: list[BaseRoute]) -> dict[str, WebhookReceiver]:
    """The POST receivers among ``routes`` by path, for GatewayApp's direct lane."""
    return {
        r.path: r.endpoint
        for r in routes
        if isinstance(r, Route) and isinstance(r.endpoint, WebhookReceiver)
    }


class GatewayApp(Starlette):
    """Starlette, plus a direct lane: a POST on a webhook path goes straight to its receiver,
    skipping the middleware stack and the router (the receiver handles its own errors)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.receivers = webhook_receivers(list(self.router.routes))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            receiver = self.receivers.get(scope["path"])
            if receiver is not None:
                await receiver(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


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


class WebhookReceiver:
    """POST /webhook*: read, check size, parse just enough, verify, store durably, then 200.

    A plain ASGI app rather than a Starlette endpoint: this is the path Meta's traffic takes
    (the ACK must be fast and cheap), and Starlette's Request, Response and middleware objects
    cost more than the stages themselves. ``GatewayApp`` hands it POSTs on the webhook paths
    directly; it answers its own errors (JSON) and never lets an exception become a crash.
    """

    def __init__(
        self,
        runner: IngressRunner,
        metrics: Metrics,
        clock: Callable[[], float],
        max_bytes: int,
        channel: str | None,
    ) -> None:
        self.runner = runner
        self.metrics = metrics
        self.clock = clock
        self.max_bytes = max_bytes
        self.channel = channel

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self._receive(scope, receive, tracked)
        except Exception as exc:  # a bug: answer 500 (Meta retries) and say so, never crash
            log_exception("ERROR", f"webhook route crashed: {type(exc).__name__}: {exc}", exc,
                          stage="parse", channel=self.channel)  # fmt: skip
            body = {"error": {"code": "internal", "message": "the gateway failed on this request",
                              "hint": "Meta retries; see the gateway's ERROR log line"}}  # fmt: skip
            if not started:  # after the start line, the server can only close the connection
                await _answer(send, 500, _json(body), JSON)

    async def _receive(self, scope: Scope, receive: Receive, send: Send) -> None:
        metrics, channel = self.metrics, self.channel
        start = time.perf_counter()
        headers = _headers(scope["headers"])
        cid = _correlation_id(headers.get("x-correlation-id") or headers.get("x-request-id"))
        try:
            body = await _read(receive, headers.get("content-length"), self.max_bytes)
        except Reject as reject:
            metrics.errors.labels(channel or "unknown", reject.code).inc()
            metrics.inbound.labels(channel or "unknown", "rejected").inc()
            log_event("WARNING", reject.message, stage="parse", channel=channel, correlation_id=cid,
                      outcome="rejected", status=reject.status, code=reject.code)  # fmt: skip
            await _answer(send, reject.status, _json(reject.body()), JSON)
            return
        ctx = Ingress(channel, body, headers, cid, self.clock())
        refused = await self.runner(ctx)
        if refused is not None:
            await _answer(send, refused.status, _json(refused.body()), JSON)
            return
        metrics.child(metrics.ack_latency, ctx.channel).observe(time.perf_counter() - start)
        # Meta only needs a 200; EVENT_RECEIVED is what Meta's own sample servers answer
        await _answer(send, 200, b"EVENT_RECEIVED", TEXT, [(b"x-correlation-id", cid.encode())])


def _headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """The request's headers by lowercase name (ASGI gives them lowercased); the first of a
    repeated header wins, as Starlette's ``Headers.get`` does."""
    found: dict[str, str] = {}
    for name, value in raw:
        key = name.decode("latin-1").lower()  # ASGI servers lowercase them; some tests do not
        if key not in found:
            found[key] = value.decode("latin-1")
    return found


async def _read(receive: Receive, declared: str | None, max_bytes: int) -> bytes:
    """The body, refusing more than MAX_BODY_BYTES without reading it all (413)."""
    try:
        body = await read_limited(asgi_chunks(receive), declared, max_bytes)
    except ClientDisconnect:
        raise Reject(400, "disconnected", "client went away mid-body") from None
    if body is None:
        raise Reject(
            413,
            "too_large",
            f"body exceeds MAX_BODY_BYTES ({max_bytes} bytes)",
            "Meta caps webhook payloads at 3 MB; raise MAX_BODY_BYTES only if a proxy batches more",
        )
    return body


async def _answer(
    send: Send,
    status: int,
    body: bytes,
    content_type: bytes,
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send(
        {"type": "http.response.start", "status": status, "headers": headers + (extra or [])}
    )
    await send({"type": "http.response.body", "body": body})


def _json(content: Any) -> bytes:
    # the same bytes as Starlette's JSONResponse
    return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _correlation_id(given: str | None) -> str:
    """The caller's id when it is a sane token (so traces join up), else a fresh one."""
    if given and len(given) <= 128 and given.isascii() and given.isprintable() and " " not in given:
        return given
    return os.urandom(16).hex()
