"""A black box to load: the fake Graph API and N gateway processes on free loopback ports."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from metasim.simulator.context import Tenant
from metasim.simulator.lifecycle import StartedInBlock
from metasim.simulator.load import report
from metasim.simulator.net import free_port
from metasim.simulator.process import ServerProcess, ServerStartError

ROOT = Path(__file__).resolve().parents[2]
SECRET = "metasim-load-app-secret-0123456789"
ADMIN_TOKEN = "metasim-load-admin-token-0123456789"
CLIENTS_FILE = ROOT / "examples" / "clients.json"
# the token examples/clients.json gives tenant "acme": the fake Graph must accept it
CLIENT_TOKEN = "EAAGdevtokenACME0000000000000000000000000000000000"
GRAPH_VERSION = "v25.0"
START_TIMEOUT = 30.0


class _Proc(ServerProcess):
    """One child process on a fixed port, restartable on the same port (so URLs stay valid)."""

    def __init__(self, what: str, argv: list[str], env: Mapping[str, str], log: Path) -> None:
        port = int(argv[argv.index("--port") + 1])
        super().__init__(argv, port=port, env=env, cwd=ROOT, output=log, stop_grace=15.0, name=what)
        self.what, self.log = what, log

    def start(self, *_: object, **__: object) -> _Proc:
        """Spawn and wait until the port listens; fails naming the process and its log."""
        try:
            super().start(timeout=START_TIMEOUT)
        except ServerStartError as exc:
            raise RuntimeError(f"{exc}\n(log {self.log})") from None
        return self


class Stack(StartedInBlock):
    """Fake Graph (``metasim graph serve``) + ``gateways`` × ``metasim-gateway serve``, one store.

    ``store_url`` defaults to a SQLite file in ``workdir`` (a temporary directory by default);
    ``env`` adds or overrides gateway variables (e.g. ``OUTBOX_MAX_ATTEMPTS``). The fake's status
    webhooks go to gateway 0. Use as a context manager; everything stops on exit.
    """

    def __init__(
        self,
        store_url: str | None = None,
        gateways: int = 1,
        env: Mapping[str, str] | None = None,
        workdir: Path | None = None,
        callbacks: bool = True,
    ) -> None:
        if gateways < 1:
            raise ValueError(f"gateways must be >= 1, got {gateways}")
        self._tmp = None if workdir else tempfile.TemporaryDirectory(prefix="metasim-load-")
        self.workdir = workdir or Path(self._tmp.name)  # type: ignore[union-attr]
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.store_url = store_url or f"sqlite:///{self.workdir / 'gateway.db'}"
        self.graph_port = free_port()
        self.graph_url = f"http://127.0.0.1:{self.graph_port}"
        gw_ports = [free_port() for _ in range(gateways)]
        self.gateways = [
            _Proc(
                f"gateway {i}",
                [
                    str(Path(sys.executable).parent / "metasim-gateway"),
                    "serve",
                    "--port",
                    str(port),
                ],
                self._gateway_env(env or {}, i),
                self.workdir / f"gateway-{i}.log",
            )
            for i, port in enumerate(gw_ports)
        ]
        graph_argv = [sys.executable, "-m", "metasim.simulator.cli.main", "graph", "serve"]
        graph_argv += ["--port", str(self.graph_port), "--seed", "7", "--log-level", "warning"]
        graph_argv += [f"--tokens={t}" for t in self._grants()]
        if callbacks:
            hook = f"http://127.0.0.1:{gw_ports[0]}/webhook/{{channel}}"
            graph_argv += ["--callbacks-to", hook, "--secret", SECRET]
        self.graph = _Proc("fake Graph API", graph_argv, os.environ, self.workdir / "graph.log")
        self._http = httpx.Client(timeout=30)

    @staticmethod
    def _grants() -> list[str]:
        t = Tenant()
        return [
            f"wa:{t.phone_number_id}={CLIENT_TOKEN}",
            f"msg:{t.page_id}={CLIENT_TOKEN}",
            f"ig:{t.ig_account_id}={CLIENT_TOKEN}",
        ]

    def _gateway_env(self, extra: Mapping[str, str], i: int) -> dict[str, str]:
        prefixes = ("GATEWAY_", "META_", "WA_", "IG_", "MSG_", "OUTBOX_", "LOG_")
        env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
        base = f"{self.graph_url}/{GRAPH_VERSION}"
        env.update(
            GATEWAY_ENV="test",
            GATEWAY_STORE=self.store_url,
            GATEWAY_CLIENTS_FILE=str(CLIENTS_FILE),
            GATEWAY_ADMIN_TOKEN=ADMIN_TOKEN,
            META_APP_SECRET=SECRET,
            META_VERIFY_TOKEN="metasim-load-verify",
            META_SIGNATURE_REQUIRED="enforce",
            WA_SEND_URL=base,
            IG_SEND_URL=base,
            MSG_SEND_URL=base,
            # retries settle within a run: Retry-After still wins when the fake sends one
            GRAPH_TIMEOUT_SECONDS="2",
            OUTBOX_BACKOFF_BASE_SECONDS="0.2",
            OUTBOX_BACKOFF_MAX_SECONDS="2",
            LOG_FILE=str(self.workdir / f"gateway-{i}.jsonl"),
            LOG_LEVEL="WARNING",
        )
        env.update(extra)
        return env

    # lifecycle ---------------------------------------------------------------------------------
    def start(self) -> Stack:
        """Start the gateways, then the fake (its callbacks need gateway 0)."""
        try:
            for gw in self.gateways:
                gw.start()
            self.graph.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop every process (idempotent) and remove the temporary directory if we made it."""
        for proc in (*self.gateways, self.graph):
            proc.stop()
        self._http.close()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def kill(self, i: int = 0) -> None:
        """SIGKILL gateway ``i``."""
        self.gateways[i].kill()

    def restart(self, i: int = 0) -> None:
        """Start gateway ``i`` again on the same port (after :meth:`kill` or a stop)."""
        self.gateways[i].stop()
        self.gateways[i].start()

    # addresses ---------------------------------------------------------------------------------
    def gateway_url(self, i: int = 0) -> str:
        return f"http://127.0.0.1:{self.gateways[i].port}"

    def webhook_url(self, channel: str, i: int = 0) -> str:
        """Where Meta would POST ``channel`` (wa | ig | msg) webhooks on gateway ``i``."""
        if channel not in ("wa", "ig", "msg"):
            raise ValueError(f"channel must be wa, ig or msg, got {channel!r}")
        return f"{self.gateway_url(i)}/webhook/{channel}"

    # black-box observations --------------------------------------------------------------------
    def graph_calls(self, kind: str | None = None) -> list[dict[str, Any]]:
        """The fake Graph recorder's calls (bodies included), optionally one kind (``send``)."""
        return report.graph_calls(self._http, self.graph_url, kind)

    def add_faults(self, faults: list[dict[str, Any]]) -> None:
        """Script faults on the fake (``POST /__metasim/faults`` items)."""
        if faults:
            r = self._http.post(f"{self.graph_url}/__metasim/faults", json=faults)
            if r.status_code >= 400:
                raise ValueError(f"the fake Graph refused the faults {faults}: {r.text}")

    def dead_letters(self) -> list[dict[str, Any]]:
        """Every dead letter, read through the admin API of the first live gateway."""
        alive = [i for i, gw in enumerate(self.gateways) if gw.alive]
        if not alive:
            raise RuntimeError("no gateway is running: restart one to read the DLQ")
        return report.dead_letters(self._http, self.gateway_url(alive[0]), ADMIN_TOKEN)
