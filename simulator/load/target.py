"""Any gateway a target file describes, started for a load run with the harness's fake Graph API."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import httpx

from metasim.simulator.lifecycle import StartedInBlock
from metasim.simulator.load import report


class TargetError(ValueError):
    """The target cannot be loaded (missing file, in-process only, no way to restart it)."""


class LoadTarget(StartedInBlock):
    """A target (``--target FILE`` or a built-in name) run by the acceptance harness's own
    machinery (steps.targets: its fake Graph API served on a port, its gateway started from
    ``[start]``), seen by the load run through URLs and secrets only.

    ``callbacks`` switches the fake's status webhooks (sent / delivered / read) back to the
    gateway: off unless the profile measures that fan-out, so a load measures messages alone.
    """

    def __init__(self, spec: str, *, callbacks: bool = False) -> None:
        from metasim.steps.targets import resolve

        if spec.endswith(".toml") and not Path(spec).is_file():
            raise TargetError(f"--target {spec}: no such file")
        config = resolve(spec)
        if "inprocess" in config.capabilities:
            raise TargetError(
                f"--target {spec} runs in-process: a load needs a gateway on a port "
                "(use 'reference' or a target file)"
            )
        self.config = dataclasses.replace(config, callbacks=callbacks and config.callbacks)
        self._target: Any = None
        self._loop: Any = None
        self._http = httpx.Client(timeout=30)

    # lifecycle ---------------------------------------------------------------------------------
    def start(self) -> LoadTarget:
        from metasim.steps.loop import LoopThread
        from metasim.steps.targets import build

        self._loop = LoopThread()
        self._target = build(self.config, self._loop)
        try:
            self._target.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the gateway (if started here) and the fake; remove the target's work folder."""
        if self._target is not None:
            self._target.close()
            self._target = None
        if self._loop is not None:
            self._loop.close()
            self._loop = None
        self._http.close()

    @property
    def restartable(self) -> bool:
        """Whether the harness started the gateway (so it can kill and start it again)."""
        return "restart" in self.config.capabilities

    def kill(self) -> None:
        """SIGKILL the gateway the harness started."""
        if not self.restartable or self._target._gateway is None:
            raise TargetError(f"{self.config.name}: the harness did not start it ([start])")
        self._target._gateway.kill()

    def restart(self) -> None:
        """Start the gateway again from ``[start]`` (after :meth:`kill`)."""
        self._target.restart()

    # what the load run needs -------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.config.name

    @property
    def host(self) -> str:
        """The gateway's base URL, placeholders resolved."""
        return str(self._target.base_url)

    @property
    def graph_url(self) -> str:
        """The fake Graph API's base URL (its control API is ``/__metasim/...``)."""
        return str(self._target.graph.base_url)

    @property
    def secret(self) -> str:
        return self.config.app_secret

    @property
    def paths(self) -> dict[str, str]:
        """Channel -> webhook path (or URL), the channels the gateway serves."""
        return {ch: self.config.webhooks[ch] for ch in self.config.channels}

    def webhook_url(self, channel: str, i: int = 0) -> str:
        """Where Meta POSTs ``channel`` webhooks (the chaos traffic's signature)."""
        del i  # one gateway process
        path = self.paths[channel]
        return path if path.startswith(("http://", "https://")) else self.host + path

    @property
    def tenant(self) -> dict[str, str]:
        """The primary tenant's ids, as simulator.context.Tenant fields."""
        keys = ("waba_id", "phone_number_id", "display_phone_number", "page_id", "ig_account_id")
        t = self.config.tenants.get("primary")
        return {k: getattr(t, k) for k in keys} if t is not None else {}

    @property
    def admin(self) -> tuple[str, str]:
        """(admin API root URL, token) when the gateway's dead letters can be read, else ("", "")."""
        if "admin" not in self.config.capabilities:
            return "", ""
        root = self.config.endpoints["admin"].rstrip("/")
        return (root if root.startswith("http") else self.host + root), self.config.admin_token

    def locust_args(self) -> list[str]:
        """The locustfile's ``--metasim-*`` flags that describe this target."""
        root, token = self.admin
        args = ["--metasim-paths", json.dumps(self.paths), "--metasim-graph", self.graph_url]
        args += ["--metasim-tenant", json.dumps(self.tenant)] if self.tenant else []
        return [*args, "--metasim-admin", root] if token else args

    def env(self) -> dict[str, str]:
        """Secrets go to Locust through its environment, not its command line."""
        _, token = self.admin
        return {"METASIM_LOAD_SECRET": self.secret, "METASIM_LOAD_ADMIN_TOKEN": token}

    # observations ------------------------------------------------------------------------------
    def add_faults(self, faults: list[dict[str, Any]]) -> None:
        """Script faults on the fake (``POST /__metasim/faults`` items)."""
        if faults:
            r = self._http.post(f"{self.graph_url}/__metasim/faults", json=faults)
            if r.status_code >= 400:
                raise ValueError(f"the fake Graph refused the faults {faults}: {r.text}")

    def graph_calls(self, kind: str | None = None) -> list[dict[str, Any]]:
        return report.graph_calls(self._http, self.graph_url, kind)

    def dead_letters(self) -> list[dict[str, Any]]:
        """The gateway's dead letters through its admin API; none if it has no admin API."""
        root, token = self.admin
        return report.dead_letters(self._http, self.host, token, root) if token else []
