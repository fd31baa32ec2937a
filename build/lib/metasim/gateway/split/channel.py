"""JSON lines over the Unix socket pair that links the HTTP process and its worker process."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator
from typing import Any

# an envelope list answered to /admin/envelopes can be large: allow a generous line
LINE_LIMIT = 16 * 1024 * 1024


class Channel:
    """One end of the link: ``send`` a message (a JSON object), iterate over received ones.

    A stream socket rather than datagrams: when the other process dies the reader sees EOF at
    once, which is how each side learns the other is gone (the HTTP process restarts its
    worker; a worker whose parent died stops).
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, sock: socket.socket) -> Channel:
        reader, writer = await asyncio.open_unix_connection(sock=sock, limit=LINE_LIMIT)
        return cls(reader, writer)

    def send(self, message: dict[str, Any]) -> None:
        """Queue one message; never blocks (the peer reads continuously)."""
        if not self.writer.is_closing():
            self.writer.write(json.dumps(message, separators=(",", ":")).encode() + b"\n")

    async def messages(self) -> AsyncIterator[dict[str, Any]]:
        """Each message received, until the other end closes or dies."""
        while True:
            try:
                line = await self.reader.readline()
            except (ConnectionError, asyncio.LimitOverrunError, ValueError):
                return
            if not line:
                return
            try:
                message = json.loads(line)
            except ValueError:
                continue  # not ours to crash on: both ends write whole JSON lines
            if isinstance(message, dict):
                yield message

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self.writer.wait_closed()
