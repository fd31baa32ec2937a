"""Real processes for durability tests: gateway via `metasim-gateway serve`, a counting fake Graph."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from metasim.simulator.catalogue import build
from metasim.simulator.context import BuildContext
from metasim.simulator.net import free_port, wait_listening
from metasim.simulator.signing import meta_bytes, signature_headers

ROOT = Path(__file__).resolve().parents[3]
SECRET = "durability-app-secret-0123456789"
GATEWAY = str(Path(sys.executable).parent / "metasim-gateway")


class CountingGraph:
    """A tiny Graph stand-in on a free port: answers every send 200 and counts reply texts."""

    def __init__(self) -> None:
        self.replies: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.port = free_port()

        async def send(request: Request) -> JSONResponse:
            body = json.loads(await request.body())
            with self.lock:
                self.replies[body["text"]["body"]] += 1
            wamid = f"wamid.OUT{sum(self.replies.values())}"
            return JSONResponse({"messaging_product": "whatsapp", "messages": [{"id": wamid}]})

        app = Starlette(routes=[Route("/v25.0/{phone}/messages", send, methods=["POST"])])
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="error")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}/v25.0"

    def __enter__(self) -> CountingGraph:
        self.thread.start()
        wait_listening(self.port)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


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


class Gateway:
    """One `metasim-gateway serve` process on a free port."""

    def __init__(self, env: dict[str, str]) -> None:
        self.port = free_port()
        # stderr to a file, never an unread pipe: uvicorn warns there on every malformed request
        # (the fuzz run sends thousands), and a full pipe would block the gateway mid-write
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop/kill)
        self.proc = subprocess.Popen(
            [GATEWAY, "serve", "--port", str(self.port)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=self.stderr,
        )
        try:
            wait_listening(self.port, timeout=30)
        except TimeoutError:
            self.proc.kill()
            self.stderr.seek(0)
            raise RuntimeError(f"gateway did not start: {self.stderr.read()[-3000:]!r}") from None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.stderr.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.stderr.close()


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


def wait_until(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
