"""The fake Graph API as one ASGI app: ``create_graph_app(config) -> GraphApp``."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.types import Receive, Scope, Send

from metasim.simulator.context import BuildContext, Tenant
from metasim.simulator.graph import handlers, media_handlers, routes
from metasim.simulator.graph.answers import IdMaker
from metasim.simulator.graph.callbacks import Callbacks
from metasim.simulator.graph.clock import SimClock
from metasim.simulator.graph.config import GraphConfig
from metasim.simulator.graph.errors import GraphError
from metasim.simulator.graph.faults import FaultBook
from metasim.simulator.graph.incoming import Answer, Incoming, read
from metasim.simulator.graph.limits import Limits
from metasim.simulator.graph.media import MediaStore
from metasim.simulator.graph.recorder import RecordedCall, Recorder, masked_headers, masked_query
from metasim.simulator.graph.tokens import TokenRegistry
from metasim.simulator.graph.transport import no_answer, reset
from metasim.simulator.graph.validation import RequestValidator

CONTROL_PREFIX = "/__metasim"
Handler = Callable[["GraphApp", Incoming, RecordedCall, routes.RouteMatch], Awaitable[Answer]]
HANDLERS: dict[str, Handler] = {
    "messages": handlers.messages,
    "media_upload": media_handlers.upload,
    "media_get": media_handlers.info,
    "media_delete": media_handlers.delete,
    "media_download": media_handlers.download,
}


class GraphApp:
    """The fake and its parts: ``.asgi`` to serve, the rest to script and inspect it."""

    def __init__(self, config: GraphConfig) -> None:
        self.config = config
        self.clock = SimClock(config.clock_start, speed=config.clock_speed)
        self.recorder = Recorder()
        self.faults = FaultBook(config.seed)
        self.limits = Limits(self.clock, config.limit_settings)
        if config.limits:
            self.limits.enable(*config.limits)
        self.tokens = TokenRegistry(self.clock, config.grants)
        self.media = MediaStore(config.seed)
        self.ids = IdMaker(config.seed)
        self.validator = RequestValidator(strict=config.strict)
        ctx = BuildContext(tenant=Tenant(waba_id=config.waba_id))
        ctx.clock = self.clock
        self.callbacks = Callbacks(config.callbacks, ctx, self.clock)
        from metasim.simulator.graph.control import (
            control_app,  # control needs GraphApp: import late
        )

        self._control = control_app(self)

    @property
    def asgi(self) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
        """The ASGI callable (serve it with uvicorn or httpx.ASGITransport)."""
        return self.__call__

    def note_inbound(self, tenant: str, user: str, at: float | None = None) -> None:
        """A user wrote to ``tenant`` at ``at`` (default now): opens the 24-hour window."""
        self.limits.note_inbound(tenant, user, at)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        if scope["path"].startswith(CONTROL_PREFIX):
            await self._control(scope, receive, send)
            return
        req = await read(scope, receive)
        call = self.recorder.new_call(
            time=self.clock.now(),
            method=req.method,
            host=req.host,
            path=req.path,
            query=masked_query(req.query) if req.query else {},
            headers=masked_headers(req.headers),
        )
        try:
            answer = await self._answer(req, call)
        except handlers.Drop as drop:
            call.fault = drop.fault.id
            call.response = drop.fault.action
            if isinstance(drop, handlers.LostAnswer):
                # recorded as Meta saw it (accepted), though the client never gets the answer
                call.status, call.response = drop.answer.status, drop.answer.body
            self.recorder.finish(call)
            if drop.how == "reset":
                await reset(send)
            else:
                await no_answer(send, receive, drop.fault.hold)
            return
        except BaseException:
            self.recorder.in_flight -= 1  # a bug or a cancelled request: no longer being answered
            raise
        call.status = answer.status
        if answer.media_type == "application/json":
            call.response = answer.body
        else:
            call.response = f"<{len(answer.encoded())} bytes {answer.media_type}>"
        self.recorder.finish(call)
        await answer.send(send)

    async def _answer(self, req: Incoming, call: RecordedCall) -> Answer:
        match = routes.match(req.method, req.path)
        try:
            if match is None:
                call.kind = "unknown"
                call.body = _parsed(req.body) if req.body else None
                handlers.expected(self, call)
                raise routes.not_found(req.method, req.path)
            return await HANDLERS[match.kind](self, req, call, match)
        except GraphError as error:
            return Answer(error.status, error.body(), error.headers())
        except handlers.HtmlFailure as failure:
            return failure.answer

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.callbacks.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def aclose(self) -> None:
        """Stop pending status webhooks and close their HTTP clients."""
        await self.callbacks.aclose()


def _parsed(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace")[:4096]


def create_graph_app(config: GraphConfig | None = None) -> GraphApp:
    """A fresh fake Graph API (defaults: strict, the simulator's tenant ids, one dev token)."""
    return GraphApp(config or GraphConfig())
