"""A respx router sending Graph hosts to the in-process fake: any httpx client, no socket."""

from __future__ import annotations

import contextvars
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

import httpx
import respx
from anyio.from_thread import BlockingPortal, start_blocking_portal

if TYPE_CHECKING:
    from metasim.simulator.graph.app import GraphApp

GRAPH_HOSTS = ("graph.facebook.com", "graph.instagram.com", "lookaside.fbsbx.com")
_ASYNC_CALL: contextvars.ContextVar[bool] = contextvars.ContextVar("metasim_async", default=False)


class GraphMockRouter(respx.MockRouter):
    """respx's router, told whether a call came from an async client.

    respx calls the same side effect for sync and async clients; an async one may return a
    coroutine, a sync one may not. Sync calls run the fake on a private event-loop thread.
    """

    _portal: BlockingPortal | None = None
    _portal_cm: AbstractContextManager[BlockingPortal] | None = None

    async def async_handler(self, request: httpx.Request) -> httpx.Response:
        token = _ASYNC_CALL.set(True)
        try:
            return await super().async_handler(request)
        finally:
            _ASYNC_CALL.reset(token)

    def portal(self) -> BlockingPortal:
        """The event-loop thread that serves calls from sync clients (started on first use)."""
        if self._portal is None:
            self._portal_cm = start_blocking_portal()
            self._portal = self._portal_cm.__enter__()
        return self._portal

    def stop(self, clear: bool = True, reset: bool = True, quiet: bool = False) -> None:
        super().stop(clear=clear, reset=reset, quiet=quiet)
        if self._portal_cm is not None:
            self._portal_cm.__exit__(None, None, None)
            self._portal, self._portal_cm = None, None


def _forwarder(app: GraphApp, router: GraphMockRouter) -> Any:
    transport = httpx.ASGITransport(app=app.asgi)

    async def forward(request: httpx.Request, content: bytes) -> httpx.Response:
        inner = httpx.Request(request.method, request.url, headers=request.headers, content=content)
        response = await transport.handle_async_request(inner)
        body = await response.aread()
        return httpx.Response(
            response.status_code, headers=response.headers, content=body, request=request
        )

    async def forward_async(request: httpx.Request) -> httpx.Response:
        return await forward(request, await request.aread())

    def side_effect(request: httpx.Request) -> Any:
        if _ASYNC_CALL.get():
            return forward_async(request)
        return router.portal().call(forward, request, request.read())

    return side_effect


def graph_router(app: GraphApp, **router_options: Any) -> GraphMockRouter:
    """A respx router (use as ``with graph_router(app):``) that routes https://graph.facebook.com,
    https://graph.instagram.com and the media host lookaside.fbsbx.com to ``app``.

    ``router_options`` go to ``respx.MockRouter`` (default: every other host is refused, as
    respx does; routes need not be called: the fake's own expectation mode covers that).
    """
    options = {"assert_all_called": False, **router_options}
    router = GraphMockRouter(**options)
    side_effect = _forwarder(app, router)
    for host in GRAPH_HOSTS:
        router.route(host=host).mock(side_effect=side_effect)
    return router
