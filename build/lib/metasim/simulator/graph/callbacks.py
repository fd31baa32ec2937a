"""Closed loop: after an accepted send, signed status (and echo) webhooks go back to the gateway."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from metasim.simulator.builders import instagram, messenger, whatsapp
from metasim.simulator.context import BuildContext
from metasim.simulator.delivery import Deliverer
from metasim.simulator.delivery.records import DeliveryRecord
from metasim.simulator.delivery.schedule import RetryPolicy
from metasim.simulator.graph.clock import SimClock
from metasim.simulator.graph.errors import entry

ASGIApp = Callable[..., Awaitable[None]]
WA_STATUSES = ("sent", "delivered", "read")
IN_FLIGHT = 32  # status webhooks delivered at once (see Callbacks._slots)


@dataclass
class CallbackSettings:
    """Where and how status webhooks go back.

    ``to`` is a URL or an in-process ASGI app; ``path`` is appended (``{channel}`` in either
    becomes ``wa`` / ``msg`` / ``ig``, e.g. ``http://127.0.0.1:8000/webhook/{channel}``).
    ``paths`` gives one path (or full URL) per channel and wins over ``path``: a gateway's
    webhook routes need not differ by the channel's name.
    ``delay`` is simulated seconds before each webhook (divided by the clock's speed).
    ``mute`` (user id -> True) stops the webhooks for that user: a harness cuts a reply loop.
    """

    to: str | ASGIApp | None = None
    secret: str = ""
    path: str = ""
    statuses: tuple[str, ...] = WA_STATUSES
    skip_delivered: bool = False  # Meta skips `delivered` when delivery and read coincide
    out_of_order: bool = False  # send the statuses of a message in reverse order
    duplicates: int = 0  # send each webhook 1 + duplicates times
    batch: bool = False  # all statuses of a message in one webhook
    delay: float = 0.0
    pricing: bool = True  # pricing object on `sent` (PMP)
    messenger: bool = True  # Messenger: delivery then read
    instagram: bool = True  # Instagram: read
    # Instagram delivers the echo of every send on the `messages` field itself; Messenger only
    # to apps subscribed to `message_echoes` (off by default, like a fresh subscription)
    instagram_echoes: bool = True
    messenger_echoes: bool = False
    # WhatsApp statuses: "dual" adds contacts[{wa_id, user_id}] as today's statuses to a phone
    # carry; "classic" leaves contacts out (payloads before business-scoped ids)
    dialect: str = "dual"
    retry: RetryPolicy = field(default_factory=RetryPolicy.none)
    paths: dict[str, str] = field(default_factory=dict)
    mute: Callable[[str], bool] | None = None

    @property
    def enabled(self) -> bool:
        """True when a destination is configured."""
        return self.to is not None

    def describe(self) -> dict[str, Any]:
        """JSON-ready view (the secret is never shown)."""
        hidden = ("secret", "retry", "to", "mute")
        view = {k: v for k, v in vars(self).items() if k not in hidden}
        view["to"] = self.to if isinstance(self.to, str | None) else "<in-process ASGI app>"
        view["statuses"] = list(self.statuses)
        view["secret_set"] = bool(self.secret)
        return view


@dataclass(frozen=True, slots=True)
class SentWebhook:
    """One status webhook the fake sent back, and how the gateway answered."""

    channel: str
    kinds: tuple[str, ...]
    message_id: str
    record: DeliveryRecord
    user: str = ""  # the recipient of the send this webhook reports on
    at: float = 0.0  # time.monotonic() when the gateway's answer arrived

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view for the HTTP control API."""
        return {
            "channel": self.channel,
            "kinds": list(self.kinds),
            "message_id": self.message_id,
            "user": self.user,
            "url": self.record.url,
            "status": self.record.final_status,
            "ok": self.record.ok,
        }


def _pricing(template: bool) -> dict[str, Any]:
    # free-form sends are inside the service window; template category is not known to the fake
    if template:
        return {"billable": True, "pricing_model": "PMP", "type": "regular", "category": "utility"}
    return {
        "billable": False,
        "pricing_model": "PMP",
        "type": "free_customer_service",
        "category": "service",
    }


def failed_errors(code: str) -> list[dict[str, Any]]:
    """The ``errors`` of a failed status for catalogue error ``code``."""
    e = entry(code)
    return [
        {
            "code": e.code,
            "title": e.title,
            "message": e.title,
            "error_data": {"details": e.details or e.title},
            "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
        }
    ]


class Callbacks:
    """Schedules and sends the status webhooks; :meth:`drain` waits for them in tests."""

    def __init__(self, settings: CallbackSettings, ctx: BuildContext, clock: SimClock) -> None:
        self.settings = settings
        self.ctx = ctx
        self.clock = clock
        self.sent: list[SentWebhook] = []
        # (user, message id, kinds, time.monotonic()) of each webhook as its POST starts: a
        # gateway may act on a webhook before its answer is back here (it answers after storing)
        self.started: list[tuple[str, str, tuple[str, ...], float]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._deliverers: dict[str, Deliverer] = {}
        # At most this many webhooks in flight. A 1000-reply burst plans 3,000 webhooks; queued
        # all at once in httpx's pool, its bookkeeping (quadratic in waiting requests) held the
        # event loop, and the fake stopped answering sends. Waiting here costs nothing.
        self._slots: asyncio.Semaphore | None = None

    # -- scheduling (called by the handlers, on the event loop) ---------------------------
    def whatsapp(
        self,
        number: str,
        wamid: str,
        recipient: str,
        *,
        template: bool,
        fail_code: str | None = None,
        opaque: str | None = None,
    ) -> None:
        """Plan sent / delivered / read (or failed) for an accepted WhatsApp send; ``opaque``
        is the send's ``biz_opaque_callback_data``, echoed on every status."""
        if not self.settings.enabled:
            return
        s = self.settings
        if fail_code is not None:
            kinds = ["failed"]
        else:
            kinds = [k for k in s.statuses if not (k == "delivered" and s.skip_delivered)]
        if s.out_of_order:
            kinds.reverse()
        self._spawn(
            self._run_whatsapp(number, wamid, recipient, kinds, template, fail_code, opaque)
        )

    def page(
        self,
        channel: str,
        page: str,
        mid: str,
        user: str,
        *,
        message: Mapping[str, Any] | None = None,
    ) -> None:
        """Plan the echo (Instagram always, Messenger when subscribed), then Messenger delivery
        + read or Instagram read, for an accepted page send of ``message``."""
        s = self.settings
        if not s.enabled:
            return
        kinds: list[str] = []
        if (channel == "ig" and s.instagram_echoes) or (channel == "msg" and s.messenger_echoes):
            kinds.append("echo")
        if channel == "msg" and s.messenger:
            kinds += ["delivery", "read"]
        elif channel == "ig" and s.instagram:
            kinds.append("read")
        if not kinds:
            return
        if s.out_of_order:
            kinds.reverse()
        self._spawn(self._run_page(channel, page, mid, user, kinds, message))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- building and sending --------------------------------------------------------------
    def _wa_status(
        self,
        number: str,
        wamid: str,
        recipient: str,
        kind: str,
        template: bool,
        fail_code: str | None,
        opaque: str | None = None,
    ) -> dict[str, Any]:
        return whatsapp.status_payload(
            self.ctx,
            wamid=wamid,
            status=kind,
            recipient_id=recipient,
            phone_number_id=number,
            errors=failed_errors(fail_code) if fail_code else None,
            pricing=_pricing(template) if kind == "sent" and self.settings.pricing else None,
            biz_opaque_callback_data=opaque,
            dialect=self.settings.dialect,
        )

    async def _run_whatsapp(
        self,
        number: str,
        wamid: str,
        recipient: str,
        kinds: list[str],
        template: bool,
        fail_code: str | None,
        opaque: str | None = None,
    ) -> None:
        if self.settings.batch and len(kinds) > 1:
            await self._wait()
            statuses: list[Mapping[str, Any]] = [
                self._wa_status(number, wamid, recipient, k, template, fail_code, opaque)
                for k in kinds
            ]
            payload = whatsapp.statuses_batch(self.ctx, statuses, phone_number_id=number)
            await self._post("wa", tuple(kinds), wamid, payload, recipient)
            return
        for kind in kinds:
            await self._wait()
            payload = self._wa_status(number, wamid, recipient, kind, template, fail_code, opaque)
            await self._post("wa", (kind,), wamid, payload, recipient)

    async def _run_page(
        self,
        channel: str,
        page: str,
        mid: str,
        user: str,
        kinds: list[str],
        message: Mapping[str, Any] | None = None,
    ) -> None:
        for kind in kinds:
            await self._wait()
            if kind == "echo" and channel == "ig":
                payload = instagram.echo_payload(
                    self.ctx, mid=mid, igsid=user, ig_id=page, message=message
                )
            elif kind == "echo":
                payload = messenger.echo_payload(
                    self.ctx, mid=mid, psid=user, page_id=page, message=message
                )
            elif channel == "ig":
                payload = instagram.read_payload(self.ctx, mid=mid, igsid=user, ig_id=page)
            elif kind == "delivery":
                payload = messenger.delivery_payload(self.ctx, mids=[mid], psid=user, page_id=page)
            else:
                payload = messenger.read_payload(self.ctx, psid=user, page_id=page)
            await self._post(channel, (kind,), mid, payload, user)

    async def _wait(self) -> None:
        seconds = self.clock.real_seconds(self.settings.delay)
        if seconds > 0:
            await asyncio.sleep(seconds)

    def _deliverer(self, channel: str) -> tuple[Deliverer, str]:
        s = self.settings
        assert s.to is not None
        target: str | ASGIApp = (
            s.to.replace("{channel}", channel) if isinstance(s.to, str) else s.to
        )
        path = s.paths.get(channel, s.path).replace("{channel}", channel)
        if isinstance(target, str) and path.startswith(("http://", "https://")):
            target, path = path, ""  # a full URL per channel: the base is not used
        key = target if isinstance(target, str) else f"asgi:{id(target)}"
        if key not in self._deliverers:
            self._deliverers[key] = Deliverer(target, s.secret, retry=s.retry)
        return self._deliverers[key], path

    async def _post(
        self,
        channel: str,
        kinds: tuple[str, ...],
        message_id: str,
        payload: dict[str, Any],
        user: str = "",
    ) -> None:
        mute = self.settings.mute
        if mute is not None and mute(user):
            return
        if self.settings.paths and channel not in self.settings.paths:
            return  # the gateway declares no webhook for this channel
        deliverer, path = self._deliverer(channel)
        if self._slots is None:
            self._slots = asyncio.Semaphore(IN_FLIGHT)
        for _ in range(1 + self.settings.duplicates):
            async with self._slots:
                self.started.append((user, message_id, kinds, time.monotonic()))
                record = await deliverer.deliver(payload, path=path, channel=channel)
            self.sent.append(
                SentWebhook(channel, kinds, message_id, record, user, time.monotonic())
            )

    # -- waiting and closing ---------------------------------------------------------------
    @property
    def pending(self) -> int:
        """Webhook plans not finished yet."""
        return len(self._tasks)

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait until every planned webhook was sent (TimeoutError after ``timeout`` s)."""
        deadline = time.monotonic() + timeout
        while self._tasks:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{len(self._tasks)} status webhook plan(s) still running")
            await asyncio.wait(set(self._tasks), timeout=left)

    def wait(self, timeout: float = 10.0) -> None:
        """Blocking :meth:`drain` for code whose fake runs on another thread's loop."""
        deadline = time.monotonic() + timeout
        while self._tasks:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self._tasks)} status webhook plan(s) still running")
            time.sleep(0.01)

    async def aclose(self) -> None:
        """Cancel pending plans and close the HTTP clients."""
        for task in list(self._tasks):
            task.cancel()
        for deliverer in self._deliverers.values():
            await deliverer.aclose()
        self._deliverers.clear()

    def reset(self) -> None:
        """Forget the log of sent webhooks."""
        self.sent.clear()
        self.started.clear()
