"""Fixtures for gateway tests: a runtime over a SQLite store in a temp dir, a client, captured logs."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from metasim.gateway.app import build_app
from metasim.gateway.observability.logs import configure_logging
from metasim.gateway.observability.metrics import Metrics
from metasim.gateway.outbound.graph_client import GraphClient
from metasim.gateway.runtime import Runtime
from metasim.gateway.settings import Settings
from metasim.gateway.store import open_store
from metasim.gateway.tenants import Tenants
from metasim.simulator.graph import GraphConfig, TokenGrant, create_graph_app
from metasim.simulator.graph.app import GraphApp

ROOT = Path(__file__).resolve().parents[2]
APP_SECRET = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
VERIFY_TOKEN = "verify-token-42"
CLIENTS = str(ROOT / "examples" / "clients.json")


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    """X-Hub-Signature-256 computed here, independently of gateway code."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def meta_bytes(payload: Any) -> bytes:
    """Meta's wire form: escaped-ASCII JSON with ``\\/`` (written here, not imported)."""
    return (
        json.dumps(payload, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/").encode()
    )


def graph_for(tenants: Tenants) -> GraphClient:
    """The gateway's real Graph client wired in-process to the shipped fake Graph API, which
    grants every client's token for its ids (media look-ups answer as Graph does)."""
    grants = [
        TokenGrant(tenant_id, channel, client.graph_token, client.token_expires_at)
        for client in tenants.clients
        if client.graph_token
        for channel, ids in client.channels.items()
        for tenant_id in ids
    ]
    fake = create_graph_app(GraphConfig(grants=grants, seed=7))
    return GraphClient(httpx.ASGITransport(app=fake), timeout=5)


class Logs:
    """The JSON lines the gateway wrote during a test."""

    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    @property
    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines() if line]

    def text(self) -> str:
        return self.stream.getvalue()

    def stages(self, **match: Any) -> list[str]:
        return [
            line["stage"] for line in self.lines if all(line.get(k) == v for k, v in match.items())
        ]


@pytest.fixture
def logs() -> Iterator[Logs]:
    stream = io.StringIO()
    configure_logging(level="DEBUG", stream=stream, secrets=[APP_SECRET, VERIFY_TOKEN])
    yield Logs(stream)
    configure_logging(level="INFO")


# Each runtime gets a fresh SQLite file under this session's temp folder (set below): the real
# store the gateway runs on, not a test double that answers differently (the store contract
# tests run on SQLite and Redis only). On tmpfs when there is one: creating the WAL file and
# the schema costs ~50 ms on this machine's disk (fsync), ~13 ms in memory.
STORE_ROOT: list[str] = []
SHM = Path("/dev/shm")


@pytest.fixture(scope="session", autouse=True)
def _store_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    if SHM.is_dir() and os.access(SHM, os.W_OK):
        with tempfile.TemporaryDirectory(dir=SHM, prefix="metasim-gateway-tests-") as folder:
            STORE_ROOT[:] = [folder]
            yield
        return
    STORE_ROOT[:] = [str(tmp_path_factory.mktemp("stores"))]
    yield


def make_runtime(**env: str) -> Runtime:
    folder = tempfile.mkdtemp(dir=STORE_ROOT[0] if STORE_ROOT else None)
    base = {
        "META_APP_SECRET": APP_SECRET,
        "META_VERIFY_TOKEN": VERIFY_TOKEN,
        "META_SIGNATURE_REQUIRED": "enforce",
        "GATEWAY_CLIENTS_FILE": CLIENTS,
        "GATEWAY_STORE": f"sqlite:///{folder}/gateway.db",
    }
    settings = Settings.from_env({**base, **env})
    tenants = Tenants.load(settings.clients_file)
    runtime = Runtime(
        settings=settings,
        store=open_store(settings.store_url, retention=settings.retention()),
        metrics=Metrics(),
        tenants=tenants,
        graph=graph_for(tenants),
    )
    return runtime


def fake_graph(runtime: Runtime) -> GraphApp:
    """The shipped fake Graph API that ``runtime``'s Graph client talks to (a test reads what
    the gateway asked it, or scripts a fault): the app behind the client's ASGI transport."""
    transport = runtime.graph.transport
    assert isinstance(transport, httpx.ASGITransport), (
        "this runtime's Graph client is not in-process"
    )
    app = transport.app
    assert isinstance(app, GraphApp), f"{app!r} is not the shipped fake Graph API"
    return app


@pytest.fixture
def runtime(logs: Logs) -> Runtime:
    return make_runtime()


@pytest.fixture
def client_for():
    """An httpx client over the ASGI app of a runtime (no lifespan: tests drive the worker)."""
    opened: list[httpx.AsyncClient] = []

    def make(rt: Runtime) -> httpx.AsyncClient:
        app = build_app(rt)
        c = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gateway.test"
        )
        opened.append(c)
        return c

    return make


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
