"""Failures below HTTP: drop the connection (TCP reset) or hold it without answering."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from typing import cast

import httpx
from starlette.types import Receive, Send


class InProcessReset(httpx.ReadError):
    """What an in-process client sees for a reset fault: the error httpx raises on a TCP RST."""


class InProcessNoAnswer(httpx.ReadTimeout):
    """What an in-process client sees for a no-answer fault (ASGITransport has no timeout)."""


def server_transport(send: Send) -> asyncio.Transport | None:
    """The TCP transport behind uvicorn's ``send``, or None when served in-process.

    uvicorn passes its request cycle's bound ``send``; the cycle holds the connection's
    transport. ASGI offers no portable way to drop a connection, so the fake reaches for it.
    """
    owner = getattr(send, "__self__", None)
    transport = getattr(owner, "transport", None)
    # duck-typed: uvloop's TCPTransport is not an asyncio.Transport subclass
    if transport is None or not hasattr(transport, "abort") or not hasattr(transport, "close"):
        return None
    return cast(asyncio.Transport, transport)


async def reset(send: Send) -> None:
    """Drop the connection with a TCP RST (SO_LINGER 0 then abort), like a crashed peer."""
    transport = server_transport(send)
    if transport is None:
        raise InProcessReset("Connection reset by peer (fake Graph API reset fault)")
    sock = transport.get_extra_info("socket")
    if sock is not None:
        # linger on with timeout 0: close() sends RST instead of FIN
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    await _quiet_end(send)


async def no_answer(send: Send, receive: Receive, hold: float) -> None:
    """Answer nothing for ``hold`` seconds or until the client gives up and disconnects."""
    if server_transport(send) is None:
        raise InProcessNoAnswer("timed out waiting for the fake Graph API (no-answer fault)")

    async def disconnected() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(disconnected(), hold)
    transport = server_transport(send)
    if transport is not None:
        transport.close()  # never answer, even after hold: close instead
    await _quiet_end(send)


async def _quiet_end(send: Send) -> None:
    """uvicorn drops messages sent on a closed connection; sending one keeps it from logging
    "ASGI callable returned without starting response" for this deliberate silence."""
    await asyncio.sleep(0.01)  # let the server notice the closed connection
    with contextlib.suppress(Exception):
        await send({"type": "http.response.start", "status": 504, "headers": []})
        await send({"type": "http.response.body", "body": b""})
