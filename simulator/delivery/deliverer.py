"""The one signing + POST path: deliver webhooks to a URL or an in-process ASGI app as Meta does."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import httpx

from metasim.simulator.delivery.handshake import HANDSHAKE_VARIANTS, handshake_request, judge
from metasim.simulator.delivery.records import (
    EXCERPT_CHARS,
    Attempt,
    DeliveryRecord,
    HandshakeResult,
)
from metasim.simulator.delivery.schedule import DEFAULT_TIMEOUTS, RetryPolicy, channel_of
from metasim.simulator.signing_defects import SignedRequest, defective, signed

ASGIApp = Callable[..., Awaitable[None]]
Sleep = Callable[[float], Awaitable[None]]
Order = str | Sequence[int] | None
IN_PROCESS_BASE = "http://gateway.test"
USER_AGENT = "facebookexternalua"  # the agent Meta's webhook requests announce


def reserialise(body: bytes) -> bytes:
    """Same JSON value, different bytes: keys in reverse order and spaces after separators.

    Still Meta-style escaping (ASCII, ``\\/``), as a real redelivery would be; only the layout
    changes, so a gateway deduping on a hash of the raw body misses it (docs/meta-contract.md §l).
    """

    def flip(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: flip(node[k]) for k in reversed(list(node))}
        if isinstance(node, list):
            return [flip(item) for item in node]
        return node

    text = json.dumps(flip(json.loads(body)), ensure_ascii=True, separators=(", ", ": "))
    return text.replace("/", "\\/").encode("ascii")


class Deliverer:
    """Signs and POSTs webhooks, retrying like Meta; records every attempt.

    ``target`` is a base URL (``http://127.0.0.1:8000``) or an ASGI app served in-process.
    Use ``async with Deliverer(...) as d:`` or call :meth:`aclose`.
    """

    def __init__(
        self,
        target: str | ASGIApp,
        secret: str,
        *,
        timeouts: Mapping[str, float] | None = None,
        retry: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
        extra_headers: Mapping[str, str] | None = None,
    ) -> None:
        self.secret = secret
        self.timeouts = {**DEFAULT_TIMEOUTS, **(timeouts or {})}
        self.retry = retry if retry is not None else RetryPolicy()
        self.sleep = sleep
        self.extra_headers = dict(extra_headers or {})
        if isinstance(target, str):
            self.base_url = target.rstrip("/")
            # absolute URLs per request: an httpx base_url would add a trailing "/" to the
            # gateway's URL when path is empty, and a redirect is not a 200 to Meta
            self.client = httpx.AsyncClient()
        else:
            self.base_url = IN_PROCESS_BASE
            self.client = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=target), base_url=IN_PROCESS_BASE
            )

    async def __aenter__(self) -> Deliverer:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self.client.aclose()

    def url(self, path: str) -> str:
        """The full URL a ``path`` resolves to."""
        return self.base_url + path if path else self.base_url

    # -- one POST -------------------------------------------------------------------------
    async def _post(
        self, path: str, request: SignedRequest, timeout: float, number: int, waited: float
    ) -> Attempt:
        headers = {"User-Agent": USER_AGENT, **request.headers, **self.extra_headers}
        started = time.perf_counter()
        try:
            # wait_for also bounds in-process ASGI apps, which ignore httpx's own timeouts
            response = await asyncio.wait_for(
                self.client.post(
                    self.url(path), content=request.body, headers=headers, timeout=timeout
                ),
                timeout,
            )
        except (TimeoutError, httpx.TimeoutException):
            return Attempt(
                number,
                None,
                "",
                time.perf_counter() - started,
                f"timeout after {timeout:g} s",
                waited,
            )
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            return Attempt(number, None, "", time.perf_counter() - started, error, waited)
        latency = time.perf_counter() - started
        return Attempt(
            number, response.status_code, response.text[:EXCERPT_CHARS], latency, None, waited
        )

    async def send(
        self,
        request: SignedRequest,
        *,
        path: str = "",
        channel: str,
        retry: RetryPolicy | None = None,
        defect: str | None = None,
        legacy_sha1: bool = False,
        redelivery_of: DeliveryRecord | None = None,
        sequence_index: int | None = None,
    ) -> DeliveryRecord:
        """POST prepared bytes and headers, retrying on non-200 or timeout per ``retry``."""
        policy = retry if retry is not None else self.retry
        timeout = self.timeouts[channel]
        attempts = [await self._post(path, request, timeout, 1, 0.0)]
        for wait in policy.waits():
            if attempts[-1].ok:
                break
            await self.sleep(wait)
            attempts.append(await self._post(path, request, timeout, len(attempts) + 1, wait))
        return DeliveryRecord(
            url=self.url(path),
            channel=channel,
            body=request.body,
            headers=dict(request.headers),
            attempts=tuple(attempts),
            outcome="delivered" if attempts[-1].ok else "failed",
            defect=defect,
            legacy_sha1=legacy_sha1,
            redelivery_of=redelivery_of,
            sequence_index=sequence_index,
        )

    # -- public API -----------------------------------------------------------------------
    async def deliver(
        self,
        payload: Any,
        *,
        path: str = "",
        defect: str | None = None,
        legacy_sha1: bool = False,
        channel: str | None = None,
        retry: RetryPolicy | None = None,
        sequence_index: int | None = None,
    ) -> DeliveryRecord:
        """Sign ``payload`` (a dict, or bytes sent as given) as Meta does and POST it to ``path``.

        ``defect`` names a :data:`metasim.simulator.signing_defects.DEFECTS` variant to send instead of
        the valid signature; ``legacy_sha1`` adds ``X-Hub-Signature: sha1=...``.
        """
        if isinstance(payload, bytes | bytearray):
            body: bytes | None = bytes(payload)
            parsed = json.loads(payload)
        else:
            body, parsed = None, payload
        channel = channel or channel_of(parsed)
        if defect is None:
            request = signed(parsed, self.secret, legacy_sha1=legacy_sha1, body=body)
        else:
            request = defective(defect, parsed, self.secret, body=body)
        return await self.send(
            request,
            path=path,
            channel=channel,
            retry=retry,
            defect=defect,
            legacy_sha1=legacy_sha1,
            sequence_index=sequence_index,
        )

    async def redeliver(self, record: DeliveryRecord, mode: str = "same") -> DeliveryRecord:
        """Deliver the same event again: ``same`` bytes and headers, or ``reserialised`` bytes
        (other key order and whitespace) with a new valid signature, as Meta's retries may."""
        path = record.url.removeprefix(self.base_url)
        if mode == "same":
            request = SignedRequest(record.body, dict(record.headers))
            defect = record.defect
        elif mode == "reserialised":
            request = signed(
                None, self.secret, legacy_sha1=record.legacy_sha1, body=reserialise(record.body)
            )
            defect = None
        else:
            raise ValueError(f"unknown redelivery mode {mode!r}; use 'same' or 'reserialised'")
        return await self.send(
            request,
            path=path,
            channel=record.channel,
            defect=defect,
            legacy_sha1=record.legacy_sha1,
            redelivery_of=record,
        )

    async def deliver_sequence(
        self,
        payloads: Sequence[Any],
        *,
        path: str = "",
        order: Order = None,
        seed: int = 0,
        **kwargs: Any,
    ) -> list[DeliveryRecord]:
        """Deliver ``payloads`` one after another in ``order``: None (as given), ``"reverse"``,
        ``"shuffle"`` (seeded), or an explicit permutation of indices. Records come back in
        delivery order; each carries its ``sequence_index`` in ``payloads``."""
        indices = delivery_order(len(payloads), order, seed)
        return [
            await self.deliver(payloads[i], path=path, sequence_index=i, **kwargs) for i in indices
        ]

    async def handshake(
        self, path: str = "", token: str = "", variant: str = "valid", challenge: str | None = None
    ) -> HandshakeResult:
        """One GET verification request of ``variant`` (see :data:`HANDSHAKE_VARIANTS`)."""
        params, expected_status, expected_body = handshake_request(variant, token, challenge)
        try:
            response = await asyncio.wait_for(
                self.client.get(
                    self.url(path), params=params, headers={"User-Agent": USER_AGENT}, timeout=5.0
                ),
                5.0,
            )
        except (TimeoutError, httpx.HTTPError) as exc:
            error = f"{type(exc).__name__}: {exc}".rstrip(": ")
            return HandshakeResult(
                variant, self.url(path), None, "", expected_status, expected_body, error
            )
        return judge(
            variant,
            self.url(path),
            response.status_code,
            response.text,
            expected_status,
            expected_body,
        )

    async def handshake_all(self, path: str = "", token: str = "") -> list[HandshakeResult]:
        """Every handshake variant, in :data:`HANDSHAKE_VARIANTS` order."""
        return [await self.handshake(path, token, variant) for variant in HANDSHAKE_VARIANTS]


def delivery_order(count: int, order: Order, seed: int = 0) -> list[int]:
    """The indices ``0..count-1`` in the requested delivery order."""
    if order is None:
        return list(range(count))
    if order == "reverse":
        return list(reversed(range(count)))
    if order == "shuffle":
        indices = list(range(count))
        random.Random(seed).shuffle(indices)
        return indices
    if isinstance(order, str):
        raise ValueError(
            f"unknown order {order!r}; use None, 'reverse', 'shuffle' or a list of indices"
        )
    indices = list(order)
    if sorted(indices) != list(range(count)):
        raise ValueError(f"order {indices} is not a permutation of 0..{count - 1}")
    return indices
