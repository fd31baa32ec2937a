"""Real processes for durability tests: gateway via `metasim-gateway serve`, the fake Graph API."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

import httpx

from metasim.simulator.catalogue import build
from metasim.simulator.context import BuildContext
from metasim.simulator.graph import GraphConfig, TokenGrant, create_graph_app
from metasim.simulator.graph.server import ServerThread
from metasim.simulator.net import free_port
from metasim.simulator.process import ServerProcess
from metasim.simulator.signing import meta_bytes, signature_headers

ROOT = Path(__file__).resolve().parents[3]
SECRET = "durability-app-secret-0123456789"
GATEWAY = str(Path(sys.executable).parent / "metasim-gateway")
# examples/clients.json: tenant "acme", its WhatsApp number and the token it sends with
PHONE_ID = "106540352242922"
CLIENT_TOKEN = "EAAGdevtokenACME0000000000000000000000000000000000"


class CountingGraph:
    """The shipped fake Graph API (strict validation, the dev tenant's token) on a free port,
    counting the reply texts it accepted: ``replies[text]`` is how many 200 sends carried it."""

    def __init__(self) -> None:
        grants = [TokenGrant(PHONE_ID, "wa", CLIENT_TOKEN)]
        self.app = create_graph_app(GraphConfig(grants=grants, seed=7))
        self.server = ServerThread(self.app)

    @property
    def replies(self) -> Counter[str]:
        sends = self.app.recorder.calls(kind="send")
        return Counter(c.body["text"]["body"] for c in sends if c.status == 200)

    @property
    def base(self) -> str:
        return f"{self.server.url}/v25.0"

    def __enter__(self) -> CountingGraph:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()


def gateway_env(store_url: str, graph_base: str, log_file: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEWAY_", "META_", "WA_"))}
    env.update(
        GATEWAY_ENV="test",
        GATEWAY_STORE=store_url,
        GATEWAY_CLIENTS_FILE=str(ROOT / "examples" / "clients.json"),
        META_APP_SECRET=SECRET,
        META_VERIFY_TOKEN="durability-verify",
        META_SIGNATURE_REQUIRED="enforce",
        WA_SEND_URL=graph_base,
        GRAPH_TIMEOUT_SECONDS="2",
        LOG_FILE=str(log_file),
        LOG_LEVEL="WARNING",
    )
    return env


class Gateway(ServerProcess):
    """One `metasim-gateway <command>` process on a free port, started at once: ``serve`` (the
    HTTP process and its worker child), or ``http`` / ``worker`` alone on a shared store.

    Its output goes to a file, never an unread pipe: uvicorn warns on every malformed request
    (the fuzz run sends thousands), and a full pipe would block the gateway mid-write.
    """

    def __init__(self, env: dict[str, str], command: str = "serve") -> None:
        port = free_port()
        output = Path(tempfile.mkdtemp(prefix="metasim-gateway-")) / "output.log"
        super().__init__(
            [GATEWAY, command, "--port", str(port)],
            port=port, env=env, cwd=ROOT, output=output, stop_grace=15.0, name=command,
        )  # fmt: skip
        self.start(timeout=30)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def signed_text(n: int, seed: int = 11) -> tuple[str, bytes, dict[str, str]]:
    """(unique text, body bytes, headers) of one signed WhatsApp text webhook."""
    text = f"durability message {seed}-{n}"
    ctx = BuildContext.seeded(seed * 100_000 + n)
    payload = build(
        "wa.text", ctx, overrides={"entry.0.changes.0.value.messages.0.text.body": text}
    )
    body = meta_bytes(payload)
    headers = {"Content-Type": "application/json", **signature_headers(SECRET, body)}
    return text, body, headers


def post_texts(base_url: str, n: int, seed: int) -> list[str]:
    """POST ``n`` signed WhatsApp texts to ``base_url``'s webhook, each ACKed 200; their texts."""

    async def all_of_them() -> list[str]:
        async with httpx.AsyncClient(timeout=10) as client:
            texts = []
            for i in range(n):
                text, body, headers = signed_text(i, seed)
                r = await client.post(f"{base_url}/webhook/wa", content=body, headers=headers)
                assert r.status_code == 200, r.text
                texts.append(text)
            return texts

    return asyncio.run(all_of_them())
