"""The one place the gateway speaks HTTP to the Graph API: sends and media look-ups."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import httpx

from metasim.gateway.outbound.backoff import parse_retry_after

CONNECT = "connect"
AMBIGUOUS = "ambiguous"
# failures before the request could reach Graph: safe to send again
UNSENT: tuple[type[httpx.TransportError], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.WriteError,
    httpx.WriteTimeout,
)


def _text(exc: Exception) -> str:
    return str(exc) or type(exc).__name__


@dataclass(frozen=True)
class GraphAnswer:
    """What the Graph API answered; ``status`` 0 and ``transport`` set when nothing came back."""

    status: int
    body: Any
    retry_after: float | None = None
    # when status is 0: "connect" (the request never left: refused, DNS, connect or pool
    # timeout, failed write) or "ambiguous" (it left, the answer did not come: read timeout,
    # reset or close after sending); see gateway/outbound/errors.py
    transport: str | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class GraphError(Exception):
    """A media look-up the Graph API refused or did not answer."""

    def __init__(self, answer: GraphAnswer) -> None:
        super().__init__(f"Graph API answered {answer.status or answer.transport}: {answer.body}")
        self.answer = answer


class GraphClient:
    """Sends with ``Authorization: Bearer`` (both Graph auth forms are accepted, §g; a header
    keeps the token out of URLs, and so out of proxies' access logs).

    Speaks to an httpx *transport* (a keep-alive pool in ``serve``, an ASGI or mock transport in
    tests) rather than through ``httpx.AsyncClient``: the client's layers (URL merging, cookie
    jar, auth and redirect handling) cost about two thirds of each send and the Graph API needs
    none of them; the transport still maps network failures to httpx's exceptions.
    """

    def __init__(self, transport: httpx.AsyncBaseTransport, timeout: float = 10.0) -> None:
        self.transport = transport
        self.timeout = timeout
        self._timeouts = {"connect": timeout, "read": timeout, "write": timeout, "pool": timeout}
        self._urls: dict[str, httpx.URL] = {}  # parsed once per send URL (a handful per tenant)

    async def send(self, url: str, body: dict[str, Any], token: str) -> GraphAnswer:
        """POST ``body`` to ``url``; never raises for HTTP or network failures."""
        content = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        return await self._call("POST", url, token, content)

    async def media(self, base_url: str, media_id: str, token: str) -> dict[str, Any]:
        """GET /{media_id}: ``url``, ``mime_type``, ``sha256``, ``file_size``; GraphError if refused."""
        answer = await self._call("GET", f"{base_url.rstrip('/')}/{media_id}", token, b"")
        if not answer.ok or not isinstance(answer.body, dict):
            raise GraphError(answer)
        return answer.body

    async def aclose(self) -> None:
        await self.transport.aclose()

    async def _call(self, method: str, url: str, token: str, content: bytes) -> GraphAnswer:
        headers = [(b"authorization", f"Bearer {token}".encode())]
        if content:
            headers.append((b"content-type", b"application/json"))
        request = httpx.Request(
            method,
            self._url(url),
            headers=headers,
            content=content or None,
            extensions={"timeout": self._timeouts},
        )
        try:
            resp = await self.transport.handle_async_request(request)
            try:
                raw = await resp.aread()
            finally:
                await resp.aclose()
        except UNSENT as exc:
            return GraphAnswer(0, {"error": {"message": _text(exc)}}, transport=CONNECT)
        except httpx.TransportError as exc:  # read timeout, reset, closed: Graph may have it
            return GraphAnswer(0, {"error": {"message": _text(exc)}}, transport=AMBIGUOUS)
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = {"raw": raw[:2000].decode("utf-8", "replace")}
        retry_after = parse_retry_after(resp.headers.get("retry-after"), time.time())
        return GraphAnswer(resp.status_code, body, retry_after)

    def _url(self, url: str) -> httpx.URL:
        parsed = self._urls.get(url)
        if parsed is None:
            if len(self._urls) >= 1024:  # media look-ups have one URL per id: stay bounded
                self._urls.clear()
            parsed = self._urls[url] = httpx.URL(url)
        return parsed
