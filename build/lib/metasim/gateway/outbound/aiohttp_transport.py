"""An httpx transport over aiohttp's client: the Graph send path of ``metasim-gateway serve``."""

from __future__ import annotations

from typing import Any

import aiohttp
import httpx


class AiohttpTransport(httpx.AsyncBaseTransport):
    """Carries httpx requests on one aiohttp keep-alive pool; failures as httpx's exceptions.

    Why: under the outbox's 32 sends in flight, httpx's own HTTP/1.1 pool (httpcore over anyio)
    spent milliseconds of CPU per send here (it polls every idle connection on each request),
    which capped a worker process near 300 sends/s; aiohttp's pool and C parser do the same
    round trip for a fraction of that (bench/bench_graph_client.py). The Graph client keeps
    speaking httpx's transport interface, so tests still plug in ``httpx.ASGITransport``.
    """

    def __init__(self, *, max_connections: int = 36) -> None:
        self.max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        # created on first use, inside the running loop (aiohttp binds a session to its loop)
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self.max_connections, limit_per_host=self.max_connections
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                # httpx decodes the body by its Content-Encoding, as with its own transport
                auto_decompress=False,
                # the Graph client sets its own headers; no cookie jar between tenants' sends
                cookie_jar=aiohttp.DummyCookieJar(),
                skip_auto_headers=("User-Agent",),
            )
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeouts: dict[str, Any] = request.extensions.get("timeout") or {}
        timeout = aiohttp.ClientTimeout(
            sock_connect=timeouts.get("connect"),
            sock_read=timeouts.get("read"),
            # the whole exchange within the Graph timeout (+10 %, at most 1 s): the outbox lease
            # (timeout + 5 s) must outlive any send, or a slow one would be recovered in flight
            total=_total(timeouts),
        )
        try:
            async with self._open().request(
                request.method,
                str(request.url),
                headers=[
                    (k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw
                ],
                data=request.content or None,
                timeout=timeout,
                allow_redirects=False,
            ) as answer:
                content = await answer.read()
                return httpx.Response(
                    answer.status,
                    headers=[
                        (k.decode("latin-1"), v.decode("latin-1")) for k, v in answer.raw_headers
                    ],
                    content=content,
                    request=request,
                )
        # the phase decides the outbox's policy: a connect-phase failure never reached Graph
        # (retried); anything later may have been accepted (dead-lettered as ambiguous)
        except aiohttp.ConnectionTimeoutError as exc:
            raise httpx.ConnectTimeout(f"connect timed out: {exc}", request=request) from exc
        except aiohttp.ClientConnectorError as exc:  # refused, DNS, TLS handshake
            raise httpx.ConnectError(str(exc), request=request) from exc
        except TimeoutError as exc:  # sock_read, or the total past the connect phase
            raise httpx.ReadTimeout(f"timed out: {exc}", request=request) from exc
        except (aiohttp.ClientError, OSError) as exc:  # reset, closed, bad answer
            raise httpx.ReadError(f"{type(exc).__name__}: {exc}", request=request) from exc

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _total(timeouts: dict[str, Any]) -> float | None:
    """The longest phase plus 10 % (at most 1 s): the connect timer (sock_connect) then fires
    before the total one, so a connect that hangs is reported as a connect failure (never sent,
    retried), not as a timeout after sending (ambiguous); and the total stays well inside the
    outbox lease (Graph timeout + 5 s)."""
    phases = [v for v in timeouts.values() if isinstance(v, int | float)]
    if not phases:
        return None
    longest = max(phases)
    return longest + min(1.0, 0.1 * longest)
