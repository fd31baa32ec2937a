"""The HTTP control API under /__metasim/: calls, faults, tokens, limits, clock, callbacks."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, Router

from metasim.simulator.graph.callbacks import CallbackSettings
from metasim.simulator.graph.errors import UnknownGraphError
from metasim.simulator.graph.faults import fault_from_dict
from metasim.simulator.graph.recorder import CRITERIA
from metasim.simulator.graph.tokens import TokenGrant

if TYPE_CHECKING:
    from metasim.simulator.graph.app import GraphApp

P = "/__metasim"
INDEX = {
    f"GET {P}/calls?channel=&recipient=&type=&kind=&tenant=": "recorded calls, in order",
    f"DELETE {P}/calls": "forget recorded calls",
    f"GET|POST|DELETE {P}/faults": "list / add (one object or a list) / clear faults",
    f"DELETE {P}/faults/{{id}}": "remove one fault",
    f"GET|POST {P}/tokens": "list / register {tenant_id, channel, token, expires_at?|expires_in?}",
    f"DELETE {P}/tokens/{{token}}": "revoke a token; POST .../expire expires it now",
    f"GET|POST {P}/limits": "show / {enable: [..]|true, disable: [..]|true, settings: {..}, reset}",
    f"POST {P}/inbound": "{tenant, user, at?}: the user wrote (opens the 24-hour window)",
    f"GET|POST {P}/clock": "show / {set: epoch, advance: seconds, speed: factor}",
    f"GET|POST {P}/callbacks": "show / set {to, secret, path, statuses, skip_delivered, ...}",
    f"GET|DELETE {P}/callbacks/sent": "status webhooks sent back / forget them",
    f"POST|GET|DELETE {P}/expectations": "start [{criteria.., times}] / verify (409 if unmet) / stop",
    f"GET {P}/media": "uploaded media",
}
Endpoint = Callable[["GraphApp", Request], Awaitable[Response]]


class BadControl(ValueError):
    """A control request the fake cannot apply; answered 400 with the reason."""


async def _json(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError as exc:
        raise BadControl(f"body must be JSON: {exc}") from exc


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadControl(f"{what} must be a JSON object, got {type(value).__name__}")
    return value


async def index(app: GraphApp, request: Request) -> Response:
    return JSONResponse({"control_api": INDEX})


async def calls(app: GraphApp, request: Request) -> Response:
    if request.method == "DELETE":
        app.recorder.reset()
        return JSONResponse({"reset": True})
    criteria = {k: v for k, v in request.query_params.items() if k in CRITERIA}
    found = app.recorder.calls(**criteria)
    return JSONResponse({"count": len(found), "calls": [c.to_dict() for c in found]})


async def faults(app: GraphApp, request: Request) -> Response:
    if request.method == "DELETE":
        app.faults.clear()
        return JSONResponse({"cleared": True})
    if request.method == "POST":
        raw = await _json(request)
        items = raw if isinstance(raw, list) else [raw]
        added = [app.faults.add(fault_from_dict(_object(i, "a fault"))) for i in items]
        return JSONResponse({"added": [f.to_dict() for f in added]}, status_code=201)
    return JSONResponse({"faults": [f.to_dict() for f in app.faults.list()]})


async def fault_one(app: GraphApp, request: Request) -> Response:
    fault_id = request.path_params["fault_id"]
    if not app.faults.remove(fault_id):
        return JSONResponse({"error": f"no fault {fault_id!r}"}, status_code=404)
    return JSONResponse({"removed": fault_id})


async def tokens(app: GraphApp, request: Request) -> Response:
    if request.method == "POST":
        raw = _object(await _json(request), "a token grant")
        expires_in = raw.pop("expires_in", None)
        if expires_in is not None:
            raw["expires_at"] = app.clock.now() + float(expires_in)
        try:
            grant = app.tokens.register(TokenGrant(**raw))
        except TypeError as exc:
            raise BadControl(f"a token grant needs tenant_id, channel, token: {exc}") from exc
        return JSONResponse({"registered": grant.masked()}, status_code=201)
    return JSONResponse({"tokens": [g.masked() for g in app.tokens.grants()]})


async def token_one(app: GraphApp, request: Request) -> Response:
    token = request.path_params["token"]
    if request.url.path.endswith("/expire"):
        app.tokens.expire(token)
        return JSONResponse({"expired": True})
    return JSONResponse({"revoked": app.tokens.revoke(token)})


async def limits(app: GraphApp, request: Request) -> Response:
    if request.method == "POST":
        raw = _object(await _json(request), "limits")
        for key, switch in (("enable", app.limits.enable), ("disable", app.limits.disable)):
            if key in raw:
                switch(*([] if raw[key] is True else raw[key]))
        for name, value in _object(raw.get("settings", {}), "settings").items():
            if not hasattr(app.limits.settings, name):
                known = [f.name for f in dataclasses.fields(app.limits.settings)]
                raise BadControl(f"unknown limit setting {name!r}; known: {', '.join(known)}")
            setattr(app.limits.settings, name, value)
        if raw.get("reset"):
            app.limits.reset()
    return JSONResponse(app.limits.describe())


async def inbound(app: GraphApp, request: Request) -> Response:
    raw = _object(await _json(request), "inbound")
    if not raw.get("tenant") or not raw.get("user"):
        raise BadControl("inbound needs tenant (phone number / page / IG id) and user")
    app.note_inbound(str(raw["tenant"]), str(raw["user"]), raw.get("at"))
    return JSONResponse(
        {"window_open": app.limits.window_open(str(raw["tenant"]), str(raw["user"]))}
    )


async def clock(app: GraphApp, request: Request) -> Response:
    if request.method == "POST":
        raw = _object(await _json(request), "clock")
        if "set" in raw:
            app.clock.set(float(raw["set"]))
        if "advance" in raw:
            app.clock.advance(float(raw["advance"]))
        if "speed" in raw:
            app.clock.set_speed(float(raw["speed"]))
    return JSONResponse(app.clock.describe())


async def callbacks(app: GraphApp, request: Request) -> Response:
    if request.method == "POST":
        raw = _object(await _json(request), "callbacks")
        known = {f.name for f in dataclasses.fields(CallbackSettings)} - {"retry", "mute"}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise BadControl(
                f"unknown callback settings {unknown}; known: {', '.join(sorted(known))}"
            )
        if "statuses" in raw:
            raw["statuses"] = tuple(raw["statuses"])
        app.callbacks.settings = dataclasses.replace(app.callbacks.settings, **raw)
    return JSONResponse(app.callbacks.settings.describe())


async def callbacks_sent(app: GraphApp, request: Request) -> Response:
    if request.method == "DELETE":
        app.callbacks.reset()
        return JSONResponse({"reset": True})
    return JSONResponse(
        {"pending": app.callbacks.pending, "sent": [w.to_dict() for w in app.callbacks.sent]}
    )


async def expectations(app: GraphApp, request: Request) -> Response:
    if request.method == "POST":
        raw = await _json(request)
        exp = app.recorder.expect()
        for item in raw if isinstance(raw, list) else [raw]:
            item = dict(_object(item, "an expectation"))
            exp.call(times=int(item.pop("times", 1)), **item)
        return JSONResponse({"expecting": [e.describe() for e in exp.items]}, status_code=201)
    current = app.recorder.expectations
    if request.method == "DELETE":
        app.recorder.expectations = None
        return JSONResponse({"stopped": current is not None})
    if current is None:
        return JSONResponse(
            {"error": f"no expectations set; POST {P}/expectations"}, status_code=404
        )
    problems = current.problems()
    return JSONResponse(
        {"ok": not problems, "problems": problems}, status_code=409 if problems else 200
    )


async def media(app: GraphApp, request: Request) -> Response:
    files = [
        {
            "id": m.id,
            "tenant": m.tenant,
            "mime_type": m.mime_type,
            "file_size": m.size,
            "sha256": m.sha256,
            "filename": m.filename,
        }
        for m in app.media.uploaded()
    ]
    return JSONResponse({"media": files})


async def health(app: GraphApp, request: Request) -> Response:
    return JSONResponse({"ok": True, "calls": len(app.recorder)})


def control_app(app: GraphApp) -> Router:
    """The Starlette router serving the control API for ``app``."""

    def bind(endpoint: Endpoint) -> Callable[[Request], Awaitable[Response]]:
        async def run(request: Request) -> Response:
            try:
                return await endpoint(app, request)
            except (BadControl, ValueError, TypeError, UnknownGraphError) as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)

        return run

    table: list[tuple[str, Endpoint, list[str]]] = [
        ("/", index, ["GET"]),
        ("/health", health, ["GET"]),
        ("/calls", calls, ["GET", "DELETE"]),
        ("/faults", faults, ["GET", "POST", "DELETE"]),
        ("/faults/{fault_id}", fault_one, ["DELETE"]),
        ("/tokens", tokens, ["GET", "POST"]),
        ("/tokens/{token}", token_one, ["DELETE"]),
        ("/tokens/{token}/expire", token_one, ["POST"]),
        ("/limits", limits, ["GET", "POST"]),
        ("/inbound", inbound, ["POST"]),
        ("/clock", clock, ["GET", "POST"]),
        ("/callbacks", callbacks, ["GET", "POST"]),
        ("/callbacks/sent", callbacks_sent, ["GET", "DELETE"]),
        ("/expectations", expectations, ["GET", "POST", "DELETE"]),
        ("/media", media, ["GET"]),
    ]
    router = Router([Route(P + path, bind(fn), methods=methods) for path, fn, methods in table])

    async def not_found(scope: Any, receive: Any, send: Any) -> None:
        body = {"error": f"unknown control route {scope['method']} {scope['path']}", **INDEX_VIEW}
        await JSONResponse(body, status_code=404)(scope, receive, send)

    router.default = not_found
    return router


INDEX_VIEW = {"control_api": INDEX}
