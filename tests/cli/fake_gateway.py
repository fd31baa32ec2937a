"""A tiny webhook receiver for delivery and CLI tests: verifies signatures over the raw bytes.

Written independently of metasim.simulator.signing (hmac over the received bytes, compare_digest), as
any correct gateway would. Run in-process (``make_app()``) or with uvicorn
(``tests.cli.fake_gateway:app``); the secret and verify token are fixed below.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

SECRET = "9c4e1f0a7b2d6e8f3a5c7e9b1d3f5a70"
TOKEN = "verify-me-2026"


def make_app() -> Starlette:
    """A fresh app; ``app.state.received`` lists (path, body, headers) of accepted POSTs."""
    received: list[tuple[str, bytes, dict[str, str]]] = []
    counters: dict[str, int] = {}

    def signature_ok(body: bytes, header: str | None) -> bool:
        if not header or not header.startswith("sha256="):
            return False
        expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(header[len("sha256=") :], expected)

    async def webhook(request: Request) -> Response:
        body = await request.body()
        if not signature_ok(body, request.headers.get("x-hub-signature-256")):
            return PlainTextResponse("bad signature", status_code=403)
        received.append((request.url.path, body, dict(request.headers)))
        return PlainTextResponse("EVENT_RECEIVED")

    async def fail(request: Request) -> Response:
        await request.body()
        return PlainTextResponse("upstream down", status_code=int(request.path_params["status"]))

    async def flaky(request: Request) -> Response:
        # fails the first `n` POSTs on this path, then behaves like /webhook
        n = int(request.path_params["n"])
        key = request.url.path
        counters[key] = counters.get(key, 0) + 1
        if counters[key] <= n:
            await request.body()
            return PlainTextResponse("try later", status_code=503)
        return await webhook(request)

    async def slow(request: Request) -> Response:
        await request.body()
        await asyncio.sleep(float(request.path_params["seconds"]))
        return PlainTextResponse("EVENT_RECEIVED")

    async def handshake(request: Request) -> Response:
        q = request.query_params
        if q.get("hub.mode") == "subscribe" and q.get("hub.verify_token") == TOKEN:
            return PlainTextResponse(q.get("hub.challenge", ""))
        return PlainTextResponse("forbidden", status_code=403)

    async def sloppy_handshake(request: Request) -> Response:
        # the pywa / n8n bug (docs/meta-contract.md §l): hub.mode never checked
        q = request.query_params
        if q.get("hub.verify_token") == TOKEN:
            return PlainTextResponse(q.get("hub.challenge", ""))
        return PlainTextResponse("forbidden", status_code=403)

    app = Starlette(
        routes=[
            Route("/webhook/{channel}", webhook, methods=["POST"]),
            Route("/webhook/{channel}", handshake, methods=["GET"]),
            Route("/sloppy", sloppy_handshake, methods=["GET"]),
            Route("/fail/{status:int}", fail, methods=["POST"]),
            Route("/flaky/{n:int}", flaky, methods=["POST"]),
            Route("/slow/{seconds}", slow, methods=["POST"]),
        ]
    )
    app.state.received = received
    return app


app: Any = make_app()
