"""reference-inprocess: the reference gateway and the fake Graph API as ASGI apps in this process."""

from __future__ import annotations

from typing import Any

import httpx

from metasim.simulator.delivery import Deliverer
from metasim.steps.targets.base import NO_RETRY, Target
from metasim.steps.targets.fake_graph import FakeGraph
from metasim.steps.targets.graph_factory import make_graph
from metasim.steps.targets.lifespan import Lifespan

GATEWAY_BASE = "http://gateway.test"
GRAPH_BASE = "http://graph.test"


class InProcessTarget(Target):
    """The fast loop: no sockets, the gateway's Graph client is routed to the fake by transport."""

    _app: Any = None
    _lifespan: Lifespan | None = None

    def placeholders(self) -> dict[str, str]:
        """No sockets: the port is unused and the Graph host is the in-process fake."""
        return {**super().placeholders(), "port": "0"}

    def start(self) -> None:
        """Build the fake Graph API, then boot the gateway app with the suite's env."""
        app = make_graph(self.config, callback_to=self._gateway_asgi)
        self.graph = FakeGraph(app, GRAPH_BASE, self.config.graph_version)
        self._boot()

    async def _gateway_asgi(self, scope: Any, receive: Any, send: Any) -> None:
        # status webhooks from the fake Graph API reach whichever gateway app is current
        await self._app(scope, receive, send)

    def _boot(self) -> None:
        from metasim.gateway.app import create_app
        from metasim.gateway.settings import Settings

        settings = Settings.from_env(self.env())

        async def boot() -> None:
            graph_http = httpx.ASGITransport(app=self.graph.asgi)
            self._app = create_app(settings, graph_transport=graph_http)
            lifespan = Lifespan(self._app)
            await lifespan.start()  # kept only once started: a failed start needs no shutdown
            self._lifespan = lifespan
            self.deliverer = Deliverer(self._app, self.config.app_secret, retry=NO_RETRY)
            self.client = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=self._app), base_url=GATEWAY_BASE
            )

        self.loop.run(boot())

    def _shutdown(self) -> None:
        async def down() -> None:
            if self._lifespan is not None:
                await self._lifespan.stop()
                self._lifespan = None
            await self.deliverer.aclose()
            await self.client.aclose()

        if self._lifespan is not None:
            self.loop.run(down())

    def _restart(self) -> None:
        self._shutdown()
        self._boot()

    def stop(self) -> None:
        """Run the gateway's shutdown (workers stop)."""
        self._shutdown()
