"""Targets reached over HTTP: the reference as a real process, or any gateway from a target file."""

from __future__ import annotations

from pathlib import Path

import httpx

from metasim.simulator.delivery import Deliverer
from metasim.simulator.graph.server import ServerThread
from metasim.simulator.net import free_port
from metasim.steps.targets.base import NO_RETRY, Target
from metasim.steps.targets.config import expand
from metasim.steps.targets.fake_graph import FakeGraph
from metasim.steps.targets.graph_factory import make_graph
from metasim.steps.targets.ready import probe
from metasim.steps.targets.servers import GatewayProcess


class ProcessTarget(Target):
    """The fake Graph API served on a real port; the gateway started by ``[start]`` (if any)."""

    _graph_server: ServerThread | None = None
    _gateway: GatewayProcess | None = None

    def placeholders(self) -> dict[str, str]:
        """Adds the gateway port chosen for this run."""
        return {**super().placeholders(), "port": str(self.port)}

    @property
    def base_url(self) -> str:
        """The gateway's base URL with placeholders resolved."""
        return expand(self.config.base_url, self.placeholders())

    def start(self) -> None:
        """Serve the fake Graph API, start the gateway (if the file says how), open clients."""
        self.port = free_port()
        graph_port = self.config.graph_port or free_port()
        graph_base = f"http://{self.config.graph_host}:{graph_port}"
        app = make_graph(self.config, callback_to=self.base_url)
        self.graph = FakeGraph(app, graph_base, self.config.graph_version)
        self._graph_server = ServerThread(app, graph_port, self.config.graph_host)
        self._graph_server.start()
        self._spawn()
        self._open_clients()

    def _spawn(self) -> None:
        spec = self.config.start
        if spec is None:
            return  # an already running gateway: the harness only talks to it
        values = self.placeholders()
        self._gateway = GatewayProcess(
            [expand(part, values) for part in spec.command],
            self.env(),
            self.gateway_cwd(),
            self.workdir / "gateway.out",
            inherit_env=spec.inherit_env,
            stop_grace=spec.stop_grace,
        )
        ready, described = probe(self.config, spec.ready, self.base_url, values)
        self._gateway.start(ready, spec.timeout, described)

    def _open_clients(self) -> None:
        async def open_() -> None:
            self.deliverer = Deliverer(self.base_url, self.config.app_secret, retry=NO_RETRY)
            self.client = httpx.AsyncClient(base_url=self.base_url, timeout=5.0)

        self.loop.run(open_())

    def _close_clients(self) -> None:
        async def close() -> None:
            await self.deliverer.aclose()
            await self.client.aclose()

        self.loop.run(close())

    def _restart(self) -> None:
        if self._gateway is not None:
            self._gateway.stop()
        self._spawn()

    def output_path(self) -> Path | None:
        """The started gateway's stdout / stderr file."""
        return self._gateway.output if self._gateway is not None else None

    def process_output(self) -> str:
        """The gateway process's stdout/stderr tail (startup warnings land here too)."""
        return self._gateway.tail(200) if self._gateway else ""

    def stop(self) -> None:
        """Stop the gateway process, the clients and the fake Graph API server."""
        if self._gateway is not None:
            self._gateway.stop()
        if getattr(self, "deliverer", None) is not None:
            self._close_clients()
        if self._graph_server is not None:
            self._graph_server.stop()
