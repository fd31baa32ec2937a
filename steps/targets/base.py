"""What every target offers the steps: deliver, handshake, endpoints, logs, restart, fake Graph API."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from metasim.reports import evidence
from metasim.simulator.delivery import Deliverer, DeliveryRecord, HandshakeResult, RetryPolicy
from metasim.simulator.signing_defects import SignedRequest
from metasim.steps.loop import LoopThread
from metasim.steps.targets import tenants_file
from metasim.steps.targets.config import TargetConfig, expand
from metasim.steps.targets.fake_graph import FakeGraph
from metasim.steps.targets.logfile import log_size, parse_lines, read_since
from metasim.steps.targets.settings import Setting

Overrides = Mapping[str, str | None]
OUTPUT_FILE = "gateway-output.log"  # the started gateway's stdout / stderr, kept by the report
# One attempt only: a scenario asserts on the gateway's first answer; Meta's retries are
# exercised explicitly (redeliver steps), never implicitly by the harness.
NO_RETRY = RetryPolicy(delays=(), max_retries=0)


class Target(ABC):
    """A gateway under test plus the fake Graph API the harness serves for it."""

    def __init__(self, config: TargetConfig, loop: LoopThread) -> None:
        self.config = config
        self.loop = loop
        self.workdir = Path(tempfile.mkdtemp(prefix=f"metasim-{config.name}-"))
        tenants_file.write(config, self.workdir)  # before any start: {tenants_file} exists
        self.overrides: dict[str, str | None] = {}
        self.graph: FakeGraph
        self.deliverer: Deliverer
        self.client: httpx.AsyncClient
        self._log_offset = 0
        self.last_delivery_at = 0.0  # time.monotonic() of the gateway's last webhook answer
        self.down = False  # True after a start the gateway refused (next configure restarts)

    # -- identity -------------------------------------------------------------------------
    @property
    def name(self) -> str:
        """The target's name, as reports show it."""
        return self.config.name

    @property
    def capabilities(self) -> frozenset[str]:
        """What this target can do (see steps/targets/config.py CAPABILITIES)."""
        return self.config.capabilities

    def require(self, capability: str) -> None:
        """Stop the scenario as not applicable unless the target has ``capability``."""
        if capability not in self.capabilities:
            # a pytest skip whose reason starts "not applicable: " (reports tell it apart)
            evidence.not_applicable(f"{self.name} has no {capability}")

    def placeholders(self) -> dict[str, str]:
        """Values for ``{placeholders}`` in the target description."""
        values = {
            "tmp": str(self.workdir),
            "python": sys.executable,
            "root": str(Path(__file__).resolve().parents[2]),
            # the folder of the target file: a team's gateway sits beside its target file
            "target_dir": str(self.target_dir()),
            "graph_version": self.config.graph_version,
            # so a ready probe or the gateway's env can name it without writing it in the file
            "verify_token": self.config.verify_token,
            # the tenants file the harness writes from [tenants.*] (steps/targets/tenants_file.py)
            "tenants_file": str(self.workdir / tenants_file.FILE_NAME),
        }
        graph = getattr(self, "graph", None)
        if graph is not None:  # the gateway's base URL is needed before the fake exists
            values["graph_url"] = graph.url_with_version
            values["graph_base"] = graph.base_url
        return values

    def target_dir(self) -> Path:
        """The folder of the target file (the working folder for a target built in code)."""
        source = Path(self.config.source)
        return source.resolve().parent if source.is_file() else Path.cwd()

    def gateway_cwd(self) -> str:
        """The start section's ``cwd``, placeholders resolved; relative to the target file."""
        cwd = expand(self.config.start.cwd, self.placeholders()) if self.config.start else "."
        return str(self.target_dir() / cwd)  # an absolute cwd stays as it is

    # -- lifecycle ------------------------------------------------------------------------
    @abstractmethod
    def start(self) -> None:
        """Start the fake Graph API and (if the target says how) the gateway."""

    @abstractmethod
    def stop(self) -> None:
        """Stop everything this target started."""

    @abstractmethod
    def _restart(self) -> None:
        """Restart the gateway with ``self.overrides`` applied to its env."""

    def configure(self, overrides: Overrides) -> None:
        """Ensure the gateway runs with exactly these env overrides (restart only if they differ)."""
        wanted = dict(overrides)
        if wanted == self.overrides and not self.down:
            return
        self.require("restart")
        self.overrides = wanted
        self._marked_restart()

    def setting(self, name: str) -> Setting:
        """The target's mapping of named setting ``name``; not applicable if it has none."""
        self.require("restart")
        found = self.config.settings.get(name)
        if found is None:
            evidence.not_applicable(f"{self.name} maps no {name!r} setting ([settings.{name}])")
        assert found is not None
        return found

    def restart(self) -> None:
        """Stop and start the gateway with its current settings."""
        self.require("restart")
        self._marked_restart()

    def _marked_restart(self) -> None:
        # log reads after a restart start at the new process's first line (startup warnings)
        if "logs" in self.capabilities:
            self.mark_logs()
            self._startup_offset = self._log_offset
        self._startup_output = log_size(self.output_path())
        self._restart()
        self.down = False

    def try_configure(self, overrides: Overrides) -> str | None:
        """Restart with ``overrides``; None if the gateway came up, else why it refused to start."""
        self.require("restart")
        self.overrides = dict(overrides)
        try:
            self._marked_restart()
        except Exception as exc:  # a refusal to start is the observation, not a harness error
            self.down = True
            return f"{type(exc).__name__}: {exc}"
        return None

    def preflight(self, overrides: Overrides) -> tuple[int, str]:
        """Run the target's preflight command with the start env plus ``overrides``."""
        self.require("preflight")
        saved, self.overrides = self.overrides, dict(overrides)
        try:
            env = self.env()
        finally:
            self.overrides = saved
        return self._run(self.config.preflight, env, timeout=30)

    def run_command(self, argv_template: tuple[str, ...]) -> tuple[int, str]:
        """Run a target command (backup ...) with the gateway's env; (exit code, output)."""
        return self._run(argv_template, self.env(), timeout=60)

    def _run(
        self, argv_template: tuple[str, ...], env: dict[str, str], *, timeout: float
    ) -> tuple[int, str]:
        """Run a command template in the gateway's cwd with ``env``; (exit code, combined output)."""
        values = self.placeholders()
        argv = [expand(part, values) for part in argv_template]
        done = subprocess.run(
            argv,
            env={**os.environ, **env} if self._inherit() else env,
            cwd=self.gateway_cwd(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        return done.returncode, done.stdout + done.stderr

    def _inherit(self) -> bool:
        return self.config.start.inherit_env if self.config.start else True

    def env(self) -> dict[str, str]:
        """The gateway's env: the start env with the current overrides (None unsets a name)."""
        if self.config.start is None:
            return {}
        values = self.placeholders()
        env = {k: expand(v, values) for k, v in self.config.start.env.items()}
        for key, value in self.overrides.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = expand(value, values)
        return env

    def close(self, keep_output_in: Path | None = None) -> None:
        """Stop, keep the gateway's output in ``keep_output_in`` (if given), remove the rest."""
        self.stop()
        output = self.output_path()
        if keep_output_in is not None and output is not None and output.exists():
            keep_output_in.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(output, keep_output_in / OUTPUT_FILE)
        shutil.rmtree(self.workdir, ignore_errors=True)

    # -- webhooks -------------------------------------------------------------------------
    def webhook_path(self, channel: str) -> str:
        """The webhook path (or full URL) for ``channel``; not applicable if it serves none."""
        self.require_channel(channel)
        return self.config.webhooks[channel]

    def require_channel(self, channel: str) -> None:
        """Stop the scenario as not applicable unless the target serves ``channel``."""
        if channel not in self.config.webhooks:
            served = ", ".join(self.config.channels)
            evidence.not_applicable(f"{self.name} serves no {channel} webhook (it serves {served})")

    def deliver(
        self,
        payload: Any,
        channel: str,
        *,
        defect: str | None = None,
        legacy_sha1: bool = False,
    ) -> DeliveryRecord:
        """Sign and POST ``payload`` (dict or exact bytes) as Meta does; one attempt."""
        record = self.loop.run(
            self.deliverer.deliver(
                payload,
                path=self.webhook_path(channel),
                channel=channel,
                defect=defect,
                legacy_sha1=legacy_sha1,
                retry=NO_RETRY,
            )
        )
        self._evidence(record)
        return record

    def send_raw(self, request: SignedRequest, channel: str) -> DeliveryRecord:
        """POST exactly these bytes and headers to ``channel``'s webhook; one attempt."""
        record = self.loop.run(
            self.deliverer.send(
                request, path=self.webhook_path(channel), channel=channel, retry=NO_RETRY
            )
        )
        self._evidence(record)
        return record

    def redeliver(self, record: DeliveryRecord, mode: str) -> DeliveryRecord:
        """Deliver ``record`` again: the ``same`` bytes or ``reserialised`` bytes."""
        again = self.loop.run(self.deliverer.redeliver(record, mode))
        self._evidence(again)
        return again

    def deliver_concurrently(self, payload: Any, channel: str, copies: int) -> list[DeliveryRecord]:
        """POST ``copies`` identical signed requests at once (Meta's duplicate fan-out)."""

        async def burst() -> list[DeliveryRecord]:
            jobs = [
                self.deliverer.deliver(
                    payload, path=self.webhook_path(channel), channel=channel, retry=NO_RETRY
                )
                for _ in range(copies)
            ]
            return list(await asyncio.gather(*jobs))

        records = self.loop.run(burst())
        for record in records:
            self._evidence(record)
        return records

    def handshake(self, channel: str, variant: str) -> HandshakeResult:
        """One GET verification request of ``variant`` on ``channel``'s webhook."""
        self.require("handshake")
        return self.loop.run(
            self.deliverer.handshake(self.webhook_path(channel), self.config.verify_token, variant)
        )

    def _evidence(self, record: DeliveryRecord) -> None:
        self.last_delivery_at = time.monotonic()
        evidence.record_payload(record.body, record.headers, record.url)
        final = record.final
        evidence.record_answer(final.status or 0, final.body_excerpt or (final.error or ""))

    # -- other endpoints ------------------------------------------------------------------
    def request(
        self, method: str, path: str, *, admin: bool = False, **kwargs: Any
    ) -> httpx.Response:
        """Any HTTP request to the gateway (``admin`` adds the admin bearer token)."""
        headers = dict(kwargs.pop("headers", {}) or {})
        if admin:
            headers["Authorization"] = f"Bearer {self.config.admin_token}"
        return self.loop.run(self.client.request(method, path, headers=headers, **kwargs))

    def endpoint(self, name: str) -> httpx.Response:
        """GET the named endpoint (health, ready, metrics); not applicable if not configured."""
        self.require(name)
        return self.request("GET", self.config.endpoints[name])

    def admin(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A request to the admin API (``path`` relative to the admin root)."""
        self.require("admin")
        root = self.config.endpoints["admin"].rstrip("/")
        return self.request(method, root + path, admin=True, **kwargs)

    # -- the gateway's own output ----------------------------------------------------------
    def output_path(self) -> Path | None:
        """The file the started gateway's stdout / stderr go to (None if not started here)."""
        return None

    def mark_output(self) -> None:
        """Remember where the gateway's output stands: failures show what came after."""
        self._output_offset = log_size(self.output_path())

    def output_since_mark(self) -> list[str]:
        """The gateway's stdout / stderr lines written since :meth:`mark_output`."""
        path = self.output_path()
        if path is None:
            return []
        text = read_since(path, getattr(self, "_output_offset", 0))
        return [f"[gateway output] {line}" for line in text.splitlines()]

    def callback_settings(self) -> dict[str, Any]:
        """Whether status webhooks go back, and to which webhook of each channel."""
        if not self.config.callbacks:
            return {"enabled": False, "reason": "the target file says callbacks = false"}
        return {"enabled": True, "paths": dict(self.config.webhooks)}

    # -- logs -----------------------------------------------------------------------------
    def log_path(self) -> Path | None:
        """The gateway's JSON log file, placeholders resolved."""
        if not self.config.log_file:
            return None
        return Path(expand(self.config.log_file, self.placeholders()))

    def mark_logs(self) -> None:
        """Remember the log file's current size: later reads start there."""
        self._log_offset = log_size(self.log_path())

    def log_lines(self) -> list[dict[str, Any]]:
        """JSON log lines written since the last mark (a non-JSON line is kept, flagged)."""
        self.require("logs")
        return parse_lines(read_since(self.log_path(), self._log_offset))

    def startup_lines(self) -> list[dict[str, Any]]:
        """What the gateway logged since it last started: its JSON log lines, or else its
        captured stdout / stderr (each as ``{"_not_json": line}``). A scenario that needs the
        settings already in force does not restart it, so these came before its own mark."""
        if "logs" in self.capabilities:
            return parse_lines(read_since(self.log_path(), getattr(self, "_startup_offset", 0)))
        output = self.output_path()
        if output is None:
            evidence.not_applicable(f"{self.name} has no log file and was not started here")
        return parse_lines(read_since(output, getattr(self, "_startup_output", 0)))

    def raw_log_text(self) -> str:
        """The log file's text since the mark (secret scans read this, not parsed lines)."""
        self.require("logs")
        return read_since(self.log_path(), self._log_offset)
