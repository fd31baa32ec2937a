"""Admin API (bearer GATEWAY_ADMIN_TOKEN): DLQ and quarantine list, replay, purge; envelopes."""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from metasim.gateway.observability.logs import log_event, log_exception
from metasim.gateway.routes.bodies import read_request
from metasim.gateway.runtime import Runtime, WorkerUnavailable
from metasim.gateway.store.base import DeadLetter, InboxEvent, Quarantined

Handler = Callable[[Request], Awaitable[Response]]
MAX_LIST = 1000
# a selection of keys: 1000 keys of ~60 bytes fit in 64 KiB with room to spare
MAX_ADMIN_BODY = 64 * 1024


def _error(status: int, code: str, message: str, **extra: str) -> JSONResponse:
    headers = (
        {"WWW-Authenticate": 'Bearer realm="metasim-gateway admin"'} if status == 401 else None
    )
    return JSONResponse({"error": {"code": code, "message": message, **extra}}, status, headers)


def _guard(runtime: Runtime, handler: Handler) -> Handler:
    """401 without a bearer token, 403 with a wrong one (compared in constant time)."""

    async def guarded(request: Request) -> Response:
        expected = runtime.settings.admin_token
        if not expected:
            return _error(403, "admin_disabled", "the admin API is off: set GATEWAY_ADMIN_TOKEN")
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not given:
            return _error(
                401, "unauthenticated", "send Authorization: Bearer <GATEWAY_ADMIN_TOKEN>"
            )
        if not hmac.compare_digest(given.encode(), expected.encode()):
            return _error(403, "forbidden", "wrong admin token")
        return await handler(request)

    return guarded


async def _selection(request: Request) -> tuple[list[str] | None, bool] | JSONResponse:
    """``{"keys": [...]?, "force": bool?}`` from the body (empty body = everything, no force)."""
    raw = await read_request(request, MAX_ADMIN_BODY)
    if raw is None:
        return _error(413, "too_large", f"the body is over {MAX_ADMIN_BODY} bytes")
    if not raw.strip():
        return None, False
    try:
        data = json.loads(raw)
    except ValueError:
        return _error(400, "bad_json", 'the body must be JSON like {"keys": ["wa:wamid..."]}')
    if not isinstance(data, dict):
        return _error(400, "bad_body", "the body must be a JSON object", field="$")
    keys = data.get("keys", data.get("ids"))
    if keys is not None and not (isinstance(keys, list) and all(isinstance(k, str) for k in keys)):
        return _error(400, "bad_field", "keys must be a list of strings", field="keys")
    force = data.get("force", False)
    if not isinstance(force, bool):
        return _error(400, "bad_field", "force must be true or false", field="force")
    return keys, force


def _limit(request: Request) -> int | JSONResponse:
    text = request.query_params.get("limit", "100")
    if not text.isdigit() or not 0 < int(text) <= MAX_LIST:
        return _error(400, "bad_field", f"limit must be 1..{MAX_LIST}", field="limit")
    return int(text)


def _dead(d: DeadLetter) -> dict[str, Any]:
    i = d.item
    return {
        "key": i.key,
        "channel": i.channel,
        "client_id": i.client_id,
        "msg_id": i.msg_id,
        "correlation_id": i.correlation_id,
        "reason": d.reason,
        "replayable": d.replayable,
        "dead_at": d.dead_at,
        "attempts": i.attempts,
        "last_error": i.last_error,
        "url": i.url,
        "body": i.body,
    }


def _quarantined(q: Quarantined) -> dict[str, Any]:
    return {
        "id": q.quarantine_id,
        "channel": q.channel,
        "reason": q.reason,
        "correlation_id": q.correlation_id,
        "at": q.at,
        "detail": q.detail,
        "raw": q.raw.decode("utf-8", "replace"),
    }


def admin_routes(runtime: Runtime) -> list[Route]:
    """GET/DELETE /admin/dlq, POST /admin/dlq/replay; the same three for /admin/quarantine."""
    store = runtime.store

    async def dlq_list(request: Request) -> Response:
        limit = _limit(request)
        if isinstance(limit, JSONResponse):
            return limit
        items = await store.dlq_list(limit)
        return JSONResponse({"depth": await store.dlq_depth(), "items": [_dead(d) for d in items]})

    async def dlq_replay(request: Request) -> Response:
        sel = await _selection(request)
        if isinstance(sel, JSONResponse):
            return sel
        keys, force = sel
        replayed = await store.dlq_replay(keys, runtime.clock(), force=force)
        for key in replayed:
            channel = key.split(":", 1)[0]
            runtime.metrics.outbound.labels(channel, "replayed").inc()
            log_event(
                "INFO",
                "replayed from the DLQ",
                stage="dlq",
                channel=channel,
                key=key,
                by="admin",
                force=force,
            )
        if replayed:
            runtime.wake_outbox.set()
        skipped = [k for k in (keys or []) if k not in replayed]
        return JSONResponse({"replayed": replayed, "skipped": skipped})

    async def dlq_purge(request: Request) -> Response:
        sel = await _selection(request)
        if isinstance(sel, JSONResponse):
            return sel
        purged = await store.dlq_purge(sel[0])
        log_event(
            "WARNING", f"purged {purged} dead letters", stage="dlq", by="admin", purged=purged
        )
        return JSONResponse({"purged": purged})

    async def tamper_seal(request: Request) -> Response:
        """Test probe: the next envelope is altered after its seal (refused with GATEWAY_ENV=prod)."""
        if runtime.settings.env == "prod":
            return JSONResponse(
                {"error": "probe_disabled", "hint": "test probes are off when GATEWAY_ENV=prod"},
                status_code=403,
            )
        try:
            armed = (await runtime.ask_worker("tamper"))["armed"]
        except WorkerUnavailable as exc:
            return _error(503, "worker_unavailable", str(exc), hint=exc.hint)
        return JSONResponse({"armed": armed})

    async def q_list(request: Request) -> Response:
        limit = _limit(request)
        if isinstance(limit, JSONResponse):
            return limit
        items = await store.quarantine_list(limit)
        return JSONResponse(
            {"depth": await store.quarantine_depth(), "items": [_quarantined(q) for q in items]}
        )

    async def q_replay(request: Request) -> Response:
        """Re-inject each raw event into the inbox: the worker runs it through every stage again.

        Each item is written to the inbox first and removed from the quarantine after, one at
        a time: a store failing halfway leaves every item in one place or the other (503 says
        which were done), never in neither. The inbox event id is derived from the quarantine
        id, so replaying again after such a failure does not queue a second copy.
        """
        sel = await _selection(request)
        if isinstance(sel, JSONResponse):
            return sel
        ids = sel[0]
        if ids is None:  # all: the oldest MAX_LIST per call (call again for more)
            ids = [q.quarantine_id for q in await store.quarantine_list(MAX_LIST)]
        now = runtime.clock()
        replayed: list[str] = []
        try:
            for q in await store.quarantine_get(ids):
                await store.inbox_put(
                    InboxEvent(
                        event_id=f"replay-{q.quarantine_id}",
                        channel=q.channel,
                        raw=q.raw,
                        received_at=now,
                        correlation_id=q.correlation_id,
                    )
                )
                await store.quarantine_purge([q.quarantine_id])
                replayed.append(q.quarantine_id)
                log_event(
                    "INFO",
                    "quarantine re-injected into the inbox",
                    stage="admin",
                    channel=q.channel,
                    correlation_id=q.correlation_id,
                    quarantine_id=q.quarantine_id,
                    by="admin",
                )
        except Exception as exc:
            log_exception("ERROR", f"quarantine replay stopped: {type(exc).__name__}: {exc}",
                          exc, stage="admin", replayed=len(replayed))  # fmt: skip
            error = {
                "code": "store_unavailable",
                "message": f"the store failed after {len(replayed)} item(s); "
                "the rest is still quarantined",
                "hint": "replay again once /ready answers 200",
            }
            return JSONResponse({"error": error, "replayed": replayed}, 503)
        finally:
            if replayed:
                runtime.wake_inbox.set()
        return JSONResponse({"replayed": replayed})

    async def q_purge(request: Request) -> Response:
        sel = await _selection(request)
        if isinstance(sel, JSONResponse):
            return sel
        purged = await store.quarantine_purge(sel[0])
        log_event(
            "WARNING",
            f"purged {purged} quarantined events",
            stage="contract",
            by="admin",
            purged=purged,
        )
        return JSONResponse({"purged": purged})

    async def envelopes(request: Request) -> Response:
        """The canonical envelopes this process produced for ``msg_id``, oldest first."""
        msg_id = request.query_params.get("msg_id", "").strip()
        if not msg_id:
            return _error(400, "msg_id_missing", "say which message: ?msg_id=wamid.... or mid....")
        try:
            found = await runtime.ask_worker("envelopes", msg_id=msg_id)
        except WorkerUnavailable as exc:
            return _error(503, "worker_unavailable", str(exc), hint=exc.hint)
        return JSONResponse(
            {
                "msg_id": msg_id,
                "count": len(found["envelopes"]),
                # kept in memory, last N only: an old or pre-restart message is simply absent
                "capacity": found["capacity"],
                "envelopes": found["envelopes"],
            }
        )

    g = lambda h: _guard(runtime, h)  # noqa: E731
    return [
        Route("/admin/envelopes", g(envelopes), methods=["GET"]),
        Route("/admin/probes/tamper-seal", g(tamper_seal), methods=["POST"]),
        Route("/admin/dlq", g(dlq_list), methods=["GET"]),
        Route("/admin/dlq", g(dlq_purge), methods=["DELETE"]),
        Route("/admin/dlq/replay", g(dlq_replay), methods=["POST"]),
        Route("/admin/quarantine", g(q_list), methods=["GET"]),
        Route("/admin/quarantine", g(q_purge), methods=["DELETE"]),
        Route("/admin/quarantine/replay", g(q_replay), methods=["POST"]),
    ]
