"""An in-process gateway (enforce mode, SQLite) wired to the fake Graph API, driven by raw ASGI calls."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from metasim.simulator.catalogue import build
from metasim.simulator.context import BuildContext
from metasim.simulator.graph import GraphConfig, TokenGrant, create_graph_app
from metasim.steps.loop import LoopThread
from metasim.steps.poll import eventually_async
from metasim.steps.targets.lifespan import Lifespan

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = ROOT / "examples" / "clients.json"
# Every secret the rig configures: the leak scan looks for each of them in everything produced.
APP_SECRET = "fuzz-app-secret-7f3a9c1e5b2d4f60"
VERIFY_TOKEN = "fuzz-verify-token-51c2e8a0"
ADMIN_TOKEN = "fuzz-admin-token-9d8e7f6a5b4c"
SEAL_KEY = "fuzz-seal-key-0a1b2c3d4e5f60718293"
_TENANT = json.loads(CLIENTS.read_text())["clients"][0]
GRAPH_TOKEN: str = _TENANT["token"]
API_KEY: str = _TENANT["api_key"]
PHONE_ID: str = _TENANT["channels"]["wa"][0]
SECRETS = {
    "app secret": APP_SECRET,
    "verify token": VERIFY_TOKEN,
    "admin token": ADMIN_TOKEN,
    "seal key": SEAL_KEY,
    "graph token": GRAPH_TOKEN,
    "client api key": API_KEY,
}
Headers = Sequence[tuple[bytes, bytes]]


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    """X-Hub-Signature-256 computed here with hmac, not with the gateway's or simulator's code."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def gateway_env(
    store_url: str, log_file: Path, graph_base: str, log_level: str = "DEBUG"
) -> dict[str, str]:
    """The env of a gateway in enforce mode with every secret set (in-process or real process)."""
    return {
        "GATEWAY_ENV": "test",
        "META_APP_SECRET": APP_SECRET,
        "META_VERIFY_TOKEN": VERIFY_TOKEN,
        "META_SIGNATURE_REQUIRED": "enforce",
        "GATEWAY_ADMIN_TOKEN": ADMIN_TOKEN,
        "GATEWAY_SEAL_KEY": SEAL_KEY,
        "GATEWAY_STORE": store_url,
        "GATEWAY_CLIENTS_FILE": str(CLIENTS),
        "WA_SEND_URL": graph_base,
        "IG_SEND_URL": graph_base,
        "MSG_SEND_URL": graph_base,
        "LOG_FILE": str(log_file),
        "LOG_LEVEL": log_level,
        "WORKER_POLL_SECONDS": "0.01",
    }


def valid_text(text: str, seed: int) -> bytes:
    """Meta-wire bytes of one WhatsApp text webhook to the acme tenant carrying ``text``."""
    from metasim.simulator.signing import meta_bytes

    payload = build(
        "wa.text",
        BuildContext.seeded(seed),
        overrides={"entry.0.changes.0.value.messages.0.text.body": text},
    )
    return meta_bytes(payload)


@dataclass
class Answer:
    """One gateway answer: status and body (``error`` set when the app raised instead)."""

    status: int
    body: bytes
    error: str | None = None


class Rig:
    """The gateway app with its lifespan (workers running) and the fake Graph API it sends to."""

    def __init__(self, tmp: Path, log_level: str = "DEBUG") -> None:
        self.loop = LoopThread()
        self.log_file = tmp / "gateway.log"
        self.db = tmp / "gateway.db"
        grants = [
            TokenGrant(_TENANT["channels"][ch][0], ch, GRAPH_TOKEN) for ch in ("wa", "ig", "msg")
        ]
        self.graph = create_graph_app(GraphConfig(grants=grants, strict=True, seed=3))
        base = "http://graph.test/v25.0"
        env = gateway_env(f"sqlite:///{self.db}", self.log_file, base, log_level)
        self.loop.run(self._boot(env))

    async def _boot(self, env: dict[str, str]) -> None:
        from metasim.gateway.app import create_app
        from metasim.gateway.settings import Settings

        self.http = httpx.ASGITransport(app=self.graph.asgi)
        self.app = create_app(Settings.from_env(env), graph_transport=self.http)
        self.lifespan = Lifespan(self.app)
        await self.lifespan.start()

    def close(self) -> None:
        async def down() -> None:
            await self.lifespan.stop()
            await self.http.aclose()

        self.loop.run(down())
        self.loop.close()

    @property
    def store(self) -> Any:
        return self.app.state.runtime.store

    def call(self, method: str, path: str, headers: Headers = (), body: bytes = b"") -> Answer:
        """One request as raw ASGI: any header bytes and any body reach the app unfiltered."""
        return self.loop.run(asgi_call(self.app, method, path, headers, body), timeout=120)

    def settle(self, timeout: float = 60.0) -> None:
        """Wait until the inbox and the outbox are empty: nothing is left in flight."""

        async def idle() -> bool:
            return await self.store.inbox_depth() == 0 and await self.store.outbox_depth() == 0

        async def wait() -> None:
            deadline = time.monotonic() + timeout
            while not await idle():
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the gateway still had work in flight after {timeout} s")
                await asyncio.sleep(0.05)

        self.loop.run(wait(), timeout + 5)

    def replied(self, text: str) -> bool:
        """Whether the fake Graph API recorded a send whose body carries ``text``."""
        return any(text in json.dumps(c.body) for c in self.graph.recorder.calls())

    def still_serving(self, seed: int, timeout: float = 10.0) -> tuple[bool, bool]:
        """(/ready is 200, a fresh valid signed message gets its echo reply within ``timeout``)."""
        ready = self.call("GET", "/ready").status == 200
        text = f"liveness probe {seed}"
        body = valid_text(text, seed)
        sig = sign(body).encode()
        ack = self.call("POST", "/webhook/wa", [(b"x-hub-signature-256", sig)], body)
        if ack.status != 200:
            return ready, False
        return ready, self.loop.run(
            eventually_async(lambda: self.replied(text), bool, timeout=timeout), timeout + 5
        )


async def asgi_call(app: Any, method: str, path: str, headers: Headers, body: bytes) -> Answer:
    """Call ``app`` like uvicorn would, with raw header bytes (no client-side validation)."""
    raw_path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": raw_path,
        "raw_path": raw_path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"gateway.test"), *[(k.lower(), v) for k, v in headers]],
        "client": ("127.0.0.1", 40000),
        "server": ("gateway.test", 80),
    }
    sent = False
    status, chunks = 0, []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)  # like a connection staying open: no disconnect
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    try:
        await app(scope, receive, send)
    except Exception as exc:  # the app raised: uvicorn would answer 500 and log it
        return Answer(status or 500, b"".join(chunks), f"{type(exc).__name__}: {exc}")
    return Answer(status, b"".join(chunks))
