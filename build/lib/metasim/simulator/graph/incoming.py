"""One request as the handlers see it, and the answer they give (raw ASGI, no framework cost)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import Receive, Scope, Send

INSTAGRAM_HOST = "graph.instagram.com"
FACEBOOK_HOST = "graph.facebook.com"


@dataclass(slots=True)
class Incoming:
    """Method, host, path, query, lower-cased headers and the raw body of a request."""

    method: str
    scheme: str
    host: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    @property
    def base_url(self) -> str:
        """``scheme://host`` as the client addressed it."""
        return f"{self.scheme}://{self.host}"

    @property
    def instagram(self) -> bool:
        """True when addressed to graph.instagram.com (Instagram Login semantics)."""
        return self.host.split(":")[0] == INSTAGRAM_HOST

    def json(self) -> Any:
        """The body parsed as JSON (ValueError if it is not)."""
        return json.loads(self.body)


async def read(scope: Scope, receive: Receive) -> Incoming:
    """Read the whole request from the ASGI channel."""
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
    chunks = []
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    raw_query = scope.get("query_string", b"").decode("latin-1")
    return Incoming(
        method=scope["method"],
        scheme=scope.get("scheme", "http"),
        host=headers.get("host", "graph.facebook.com"),
        path=scope["path"],
        query=dict(parse_qsl(raw_query, keep_blank_values=True)),
        headers=headers,
        body=b"".join(chunks),
    )


@dataclass(slots=True)
class Answer:
    """What the fake answers: status, body (JSON value, bytes or HTML text) and headers."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    media_type: str = "application/json"

    def encoded(self) -> bytes:
        """The body bytes (JSON compact, as Graph sends)."""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        return json.dumps(self.body, separators=(",", ":")).encode("utf-8")

    async def send(self, send: Send) -> None:
        """Write the answer on the ASGI channel."""
        payload = self.encoded()
        content_type = self.media_type
        if content_type.startswith(("text/", "application/json")):
            content_type += "; charset=UTF-8"
        raw_headers = [
            (b"content-type", content_type.encode("latin-1")),
            (b"content-length", str(len(payload)).encode("latin-1")),
        ]
        raw_headers += [
            (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in self.headers.items()
        ]
        await send({"type": "http.response.start", "status": self.status, "headers": raw_headers})
        await send({"type": "http.response.body", "body": payload})
