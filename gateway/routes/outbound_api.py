"""POST /v1/messages: client applications queue any message type to the outbox (bearer API key)."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from metasim.gateway.observability.logs import log_event
from metasim.gateway.outbound.requests import MessageError, graph_request
from metasim.gateway.outbound.validate import check_body
from metasim.gateway.routes.bodies import read_request
from metasim.gateway.runtime import Runtime
from metasim.gateway.store.base import OutboxItem
from metasim.gateway.tenants import CHANNELS, Client

IDEMPOTENCY = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
MAX_BODY = 256 * 1024


def _error(status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
    error: dict[str, Any] = {"code": code, "message": message}
    if field is not None:
        error["field"] = field
    headers = {"WWW-Authenticate": 'Bearer realm="metasim-gateway"'} if status == 401 else None
    return JSONResponse({"error": error}, status, headers)


class _Bad(Exception):
    def __init__(self, status: int, field: str, message: str) -> None:
        super().__init__(message)
        code = {400: "bad_request", 403: "forbidden"}.get(status, "unavailable")
        self.response = _error(status, code, message, field)


def _str_field(data: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise _Bad(400, name, f"{name} must be a non-empty string")
    return value


def _queue_item(
    runtime: Runtime, client: Client, data: dict[str, Any], idem: str | None
) -> OutboxItem:
    """Validate the request in the order a caller fixes it; the outbox item to queue."""
    channel = _str_field(data, "channel")
    if channel not in CHANNELS:
        raise _Bad(400, "channel", f"channel must be one of {', '.join(CHANNELS)}")
    ids = client.channels.get(channel, ())
    if not ids:
        raise _Bad(403, "channel", f"client {client.client_id} has no {channel} account")
    sender = _str_field(data, "from", required=False)
    if sender is not None and sender not in ids:
        raise _Bad(403, "from", f"{sender} is not one of your {channel} ids: {', '.join(ids)}")
    to = _str_field(data, "to")
    message = data.get("message")
    if not isinstance(message, dict):
        raise _Bad(
            400,
            "message",
            'message must be an object like {"type": "text", "text": {"body": "..."}}',
        )
    base = runtime.settings.send_url(channel)
    if base is None:
        raise _Bad(503, "channel", f"no Graph send URL configured for {channel}")
    try:
        url, body = graph_request(channel, client, base, sender, str(to), message)
        check_body(channel, body)
    except MessageError as exc:
        raise _Bad(400, exc.field, exc.problem) from None
    now = runtime.clock()
    ref = idem or uuid.uuid4().hex
    return OutboxItem(
        # "<channel>:..." first, like pipeline replies, so the channel reads off any key
        key=f"{channel}:api:{client.client_id}:{ref}",
        channel=channel,
        client_id=client.client_id,
        url=url,
        body=body,
        correlation_id=uuid.uuid4().hex,
        msg_id=f"api:{ref}",
        next_attempt_at=now,
        created_at=now,
    )


def outbound_routes(runtime: Runtime) -> list[Route]:
    """POST /v1/messages."""

    async def send(request: Request) -> Response:
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not key:
            return _error(
                401, "unauthenticated", "send Authorization: Bearer <your client API key>"
            )
        client = runtime.tenants.by_api_key(key)
        if client is None:
            return _error(403, "forbidden", "unknown API key")
        raw = await read_request(request, MAX_BODY)
        if raw is None:
            return _error(413, "too_large", f"the body is over {MAX_BODY} bytes")
        try:
            data = json.loads(raw)
        except ValueError:
            return _error(400, "bad_json", "the body must be JSON", "$")
        if not isinstance(data, dict):
            return _error(400, "bad_request", "the body must be a JSON object", "$")
        idem = request.headers.get("idempotency-key") or data.get("idempotency_key")
        if idem is not None and not (isinstance(idem, str) and IDEMPOTENCY.match(idem)):
            return _error(
                400,
                "bad_request",
                "idempotency_key: 1-128 of A-Z a-z 0-9 . _ : -",
                "idempotency_key",
            )
        try:
            item = _queue_item(runtime, client, data, idem)
        except _Bad as bad:
            return bad.response
        if not await runtime.store.outbox_put(item):
            # the same idempotency key again: already queued (or sent), never twice
            return JSONResponse({"key": item.key, "status": "duplicate"}, 200)
        runtime.metrics.outbound.labels(item.channel, "queued").inc()
        runtime.wake_outbox.set()
        log_event(
            "INFO",
            "queued by the outbound API",
            stage="outbox",
            channel=item.channel,
            msg_id=item.msg_id,
            correlation_id=item.correlation_id,
            key=item.key,
            client_id=client.client_id,
            type=data["message"].get("type", "text"),
        )
        return JSONResponse(
            {"key": item.key, "status": "queued", "correlation_id": item.correlation_id}, 202
        )

    return [Route("/v1/messages", send, methods=["POST"])]
