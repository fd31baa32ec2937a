"""POSTs for the load worker: geventhttpclient's HTTPClient, reported through Locust's request event."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

from geventhttpclient import HTTPClient


class Sender:
    """One connection pool per host:port; ``post`` returns (status or 0, seconds, error).

    FastHttpUser wraps the same client in a session (a URL parsed, a header object and a
    response context manager per request); on this 2-core machine that wrapping cost one worker
    about a third of what it sent (docs/benchmarks.md, "Load generator"). Firing Locust's
    request event keeps its statistics, their distributed aggregation and its summary.
    """

    def __init__(self, base_url: str, timeout: float, concurrency: int, events: Any) -> None:
        self.base = urlsplit(base_url)
        self.timeout, self.concurrency, self.events = timeout, concurrency, events
        self.clients: dict[tuple[str, int], HTTPClient] = {}

    def _client(self, url: str) -> tuple[HTTPClient, str]:
        parts = urlsplit(url) if url.startswith(("http://", "https://")) else None
        where = parts or self.base
        key = (
            where.hostname or "127.0.0.1",
            where.port or (443 if where.scheme == "https" else 80),
        )
        if key not in self.clients:
            self.clients[key] = HTTPClient(
                *key,
                ssl=where.scheme == "https",
                concurrency=self.concurrency,
                network_timeout=self.timeout,
                connection_timeout=self.timeout,
            )
        path = (parts.path or "/") if parts else self.base.path.rstrip("/") + url
        return self.clients[key], path

    def post(
        self, url: str, body: bytes, headers: dict[str, str], name: str
    ) -> tuple[int, float, str]:
        """POST ``body`` to ``url`` (a path under the base URL, or absolute); fire Locust's
        request event (a non-200 is a failure there too)."""
        client, path = self._client(url)
        started = time.perf_counter()
        status, error, length = 0, "", 0
        try:
            response = client.request("POST", path, body=body, headers=headers)
            length = len(response.read())
            status = response.status_code
        except Exception as exc:  # timeouts and refused connections: Meta sees no answer
            error = f"{type(exc).__name__}: {exc}"
        took = time.perf_counter() - started
        failure = error or (f"HTTP {status}" if status != 200 else "")
        self.events.request.fire(
            request_type="POST",
            name=name,
            response_time=took * 1000,
            response_length=length,
            exception=RuntimeError(failure) if failure else None,
            context={},
        )
        return status, took, error

    def close(self) -> None:
        for client in self.clients.values():
            client.close()
