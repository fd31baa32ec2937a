"""The one place the gateway speaks HTTP to the Graph API: sends and media look-ups."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx

from gateway.outbound.backoff import parse_retry_after


@dataclass(frozen=True)
class GraphAnswer:
    """What the Graph API answered; ``status`` 0 and ``transport`` set when nothing came back."""

    status: int
    body: Any
    retry_after: float | None = None
    transport: str | None = None  # "timeout" | "connect" | "transport" when status is 0

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
    keeps the token out of URLs, and so out of proxies' access logs)."""

    def __init__(self, http: httpx.AsyncClient, timeout: float = 10.0) -> None:
        self.http = http
        self.timeout = timeout

    async def send(self, url: str, body: dict[str, Any], token: str) -> GraphAnswer:
        """POST ``body`` to ``url``; never raises for HTTP or network failures."""
        return await self._call("POST", url, token, json=body)

    async def media(self, base_url: str, media_id: str, token: str) -> dict[str, Any]:
        """GET /{media_id}: ``url``, ``mime_type``, ``sha256``, ``file_size``; GraphError if refused."""
        answer = await self._call("GET", f"{base_url.rstrip('/')}/{media_id}", token)
        if not answer.ok or not isinstance(answer.body, dict):
            raise GraphError(answer)
        return answer.body

    async def _call(self, method: str, url: str, token: str, **kw: Any) -> GraphAnswer:
        headers = {"Authorization": f"Bearer {token}"}
        try:
            resp = await self.http.request(method, url, headers=headers, timeout=self.timeout, **kw)
        except httpx.TimeoutException:
            return GraphAnswer(0, {"error": {"message": "timed out"}}, transport="timeout")
        except httpx.ConnectError as exc:
            return GraphAnswer(0, {"error": {"message": str(exc)}}, transport="connect")
        except httpx.TransportError as exc:
            return GraphAnswer(0, {"error": {"message": str(exc)}}, transport="transport")
        try:
            body: Any = resp.json()
        except ValueError:
            body = {"raw": resp.text[:2000]}
        retry_after = parse_retry_after(resp.headers.get("retry-after"), time.time())
        return GraphAnswer(resp.status_code, body, retry_after)
