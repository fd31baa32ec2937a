"""Request bodies read with a size limit, refused as soon as the limit is known to be crossed."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator

from starlette.requests import ClientDisconnect, Request
from starlette.types import Receive


async def read_limited(
    chunks: AsyncIterable[bytes], declared: str | None, max_bytes: int
) -> bytes | None:
    """The body, or None once it is known to exceed ``max_bytes``: a declared length is refused
    before reading, a streamed one at the chunk that crosses the limit, so an oversized request
    never sits whole in memory. One rule for the webhook and the APIs."""
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        return None
    parts: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > max_bytes:
            return None
        parts.append(chunk)
    return parts[0] if len(parts) == 1 else b"".join(parts)


async def read_request(request: Request, max_bytes: int) -> bytes | None:
    """:func:`read_limited` on a Starlette request."""
    return await read_limited(request.stream(), request.headers.get("content-length"), max_bytes)


async def asgi_chunks(receive: Receive) -> AsyncIterator[bytes]:
    """The body chunks of a raw ASGI request; ClientDisconnect if the client goes away."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        yield message.get("body", b"")
        if not message.get("more_body", False):
            return
