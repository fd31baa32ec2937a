"""A gateway that acknowledges every webhook and never answers anyone (the harness's speed check).

Standard library only. It is the worst case for a suite that waits for replies: every check
that expects a send must end on the gateway's silence, not on a timeout.
"""

from __future__ import annotations

import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    """200 to every POST, 200 to GET /health, 404 to anything else."""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self._answer(200, b"EVENT_RECEIVED")

    def do_GET(self) -> None:
        self._answer(200 if self.path == "/health" else 404, b"OK")

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # silent in every sense


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
