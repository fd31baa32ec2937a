"""Request bodies read with a size limit, refused as soon as the limit is known to be crossed."""

from __future__ import annotations

from starlette.requests import Request


async def read_limited(request: Request, max_bytes: int) -> bytes | None:
    """The body, or None once it is known to exceed ``max_bytes``: a declared length is refused
    before reading, a streamed one at the chunk that crosses the limit (the webhook route's
    rule), so an oversized request never sits whole in memory."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
