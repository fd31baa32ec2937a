"""py-queue-worker: a queue-backed gateway for WhatsApp, Instagram and Messenger webhooks.

Starlette + uvicorn + httpx (all asyncio). The shape of most production gateways: the webhook
handler only stores the raw body in an inbox and answers; a worker polls the inbox every
POLL_SECONDS (1 s), parses, dedupes, resolves the tenant and puts the reply in an outbox; the
same worker sends what is due in the outbox, retrying with backoff. Replies therefore leave
about a second after the webhook, as they do behind a real queue.

It carries THREE DELIBERATE BUGS, each one spot marked ``BUG(zoo)``, all of the kind "does
something it must not do, a second later" (README.md lists them).

Settings (env): PORT, HOST, META_APP_SECRET, META_VERIFY_TOKEN, META_SIGNATURE_REQUIRED
(off | warn | enforce, default warn), WA_SEND_URL / IG_SEND_URL / MSG_SEND_URL, GATEWAY_ENV,
CLIENTS_FILE (tenants), POLL_SECONDS (1.0), SEND_MAX_ATTEMPTS (3), SEND_BACKOFF_SECONDS (0.2).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import os
import re
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

ENV = os.environ
APP_SECRET = ENV.get("META_APP_SECRET", "").encode()
VERIFY_TOKEN = ENV.get("META_VERIFY_TOKEN", "")
SIGNATURE_MODE = ENV.get("META_SIGNATURE_REQUIRED", "warn")
SEND_URL = {
    "wa": ENV.get("WA_SEND_URL"),
    "ig": ENV.get("IG_SEND_URL"),
    "msg": ENV.get("MSG_SEND_URL"),
}
POLL_SECONDS = float(ENV.get("POLL_SECONDS", "1.0"))
MAX_ATTEMPTS = int(ENV.get("SEND_MAX_ATTEMPTS", "3"))
BACKOFF = float(ENV.get("SEND_BACKOFF_SECONDS", "0.2"))
MAX_BODY = 3_000_000
# transient Graph errors, rate and throughput limits, server errors: worth another attempt
RETRYABLE = {1, 2, 4, 17, 32, 613, 80007, 130429, 131000, 131016, 131056}
log = logging.getLogger("py-queue-worker")


# ---- tenants -------------------------------------------------------------------------------
def load_clients() -> list[dict[str, Any]]:
    path = ENV.get("CLIENTS_FILE")
    if not path:
        return []
    with open(path, encoding="utf-8") as handle:
        return list(json.load(handle).get("clients", []))


CLIENTS = load_clients()
BY_ID = {(ch, i): c for c in CLIENTS for ch, ids in c.get("channels", {}).items() for i in ids}


def tenant_for(channel: str, business_id: str) -> dict[str, Any] | None:
    client = BY_ID.get((channel, business_id))
    if client is None and CLIENTS:
        # BUG(zoo) Q-1: an id no client owns falls back to the first client ("the default
        # tenant") instead of being left unanswered: a message for a business this gateway
        # does not serve is answered with another business's token.
        client = CLIENTS[0]
    return client


def token_usable(client: dict[str, Any]) -> bool:
    # BUG(zoo) Q-2: token_expires_at is never read; an expired token is used anyway and Graph
    # refuses the send (190) instead of the gateway keeping the message back.
    return bool(client.get("token"))


# ---- the queue -----------------------------------------------------------------------------
@dataclass
class Outgoing:
    key: str
    url: str
    token: str
    body: dict[str, Any]
    media_url: str | None = None
    attempts: int = 0
    not_before: float = 0.0


@dataclass
class Queue:
    inbox: list[bytes] = field(default_factory=list)
    outbox: list[Outgoing] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)


QUEUE = Queue()


def signature_ok(raw: bytes, header: str | None) -> bool:
    want = "sha256=" + hmac.new(APP_SECRET, raw, hashlib.sha256).hexdigest()
    return bool(APP_SECRET) and header is not None and hmac.compare_digest(header, want)


# ---- parsing (in the worker) ---------------------------------------------------------------
def wa_text(m: dict[str, Any]) -> str | None:
    kind = m.get("type")
    part = m.get(kind) if isinstance(m.get(kind), dict) else {}
    if kind == "text":
        return part.get("body")
    if kind in ("image", "video", "document"):
        return part.get("caption")
    if kind == "interactive":
        reply = part.get("button_reply") or part.get("list_reply") or {}
        return reply.get("title") or reply.get("id")
    if kind == "button":
        return part.get("text") or part.get("payload")
    if kind in ("location", "reaction", "order"):
        return part.get("name") or part.get("emoji") or part.get("text")
    return None


def replies_for(body: dict[str, Any]) -> list[tuple[str, str, str, dict[str, Any], str | None]]:
    """(dedupe key, channel, business id, send body, media id) per user message of a webhook."""
    out = []
    if body.get("object") == "whatsapp_business_account":
        for entry in body.get("entry", []):
            for change in entry.get("changes", []):
                value = change.get("value", {})
                number = value.get("metadata", {}).get("phone_number_id", "")
                for m in value.get("messages", []):  # statuses are not messages
                    kind = m.get("type")
                    # system notices and a first-contact request_welcome are not messages to
                    # answer; a group message is not answered one-to-one
                    if (
                        not m.get("id")
                        or kind in ("system", "request_welcome")
                        or m.get("group_id")
                    ):
                        continue
                    if kind == "reaction" and not m.get("reaction", {}).get("emoji"):
                        continue
                    bsuid = None if m.get("from") else m.get("from_user_id")
                    send = {
                        "messaging_product": "whatsapp",
                        "recipient_type": "individual",
                        ("recipient" if bsuid else "to"): bsuid or m.get("from"),
                        "type": "text",
                        "text": {"body": (wa_text(m) or f"[{kind}]")[:4096]},
                    }
                    media = (
                        m.get(kind, {}).get("id")
                        if kind in ("image", "video", "audio", "document", "sticker")
                        else None
                    )
                    out.append((f"wa:{m['id']}", "wa", number, send, media))
    elif body.get("object") in ("instagram", "page"):
        channel = "ig" if body["object"] == "instagram" else "msg"
        for entry in body.get("entry", []):
            for ev in entry.get("messaging", []):
                m, p, ref = ev.get("message"), ev.get("postback"), ev.get("referral")
                if m is not None:
                    if m.get("is_echo") or m.get("is_deleted") or m.get("is_self"):
                        continue  # our own sends, deleted messages, an account's test to itself
                    kind = (m.get("attachments") or [{}])[0].get("type") or "message"
                    text, mid = m.get("text") or f"[{kind}]", m.get("mid")
                elif p is not None:
                    text, mid = p.get("payload") or p.get("title") or "[postback]", p.get("mid")
                elif ref is not None:  # opened from an ad, a link or a QR code
                    text, mid = ref.get("ref") or "[referral]", None
                else:
                    continue  # echoes, receipts, reactions, opt-ins ...: nothing to answer
                if not mid:  # a stable key from the event itself, never a random one
                    mid = hashlib.sha256(json.dumps(ev, sort_keys=True).encode()).hexdigest()
                send = {
                    "recipient": {"id": ev["sender"]["id"]},
                    "messaging_type": "RESPONSE",
                    "message": {"text": text[:2000]},
                }
                out.append((f"{channel}:{mid}", channel, entry.get("id", ""), send, None))
            # Instagram comments: answered with a direct message to their author
            for change in entry.get("changes", []) if channel == "ig" else []:
                value = change.get("value", {})
                cid, author = value.get("comment_id") or value.get("id"), value.get("from") or {}
                if change.get("field") not in ("comments", "live_comments") or not cid:
                    continue
                if not author.get("id") or author.get("id") == entry.get("id"):
                    continue
                send = {
                    "recipient": {"id": author["id"]},
                    "messaging_type": "RESPONSE",
                    "message": {"text": (value.get("text") or "[comment]")[:2000]},
                }
                out.append((f"ig:comment:{cid}", "ig", entry.get("id", ""), send, None))
    return out


def take_inbox() -> None:
    while QUEUE.inbox:
        raw = QUEUE.inbox.pop(0)
        try:
            body = json.loads(raw)
        except ValueError:
            continue
        for key, channel, business_id, send, media in replies_for(body):
            if key in QUEUE.seen:
                continue
            QUEUE.seen.add(key)
            client = tenant_for(channel, business_id)
            if client is None or not token_usable(client):
                log.warning("not answered: no usable tenant for %s", channel)
                continue
            rule = client.get("reply_rule", {})
            if rule.get("kind") == "fixed":
                if channel == "wa":
                    send["text"]["body"] = rule["text"]
                else:
                    send["message"]["text"] = rule["text"]
            base = SEND_URL[channel]
            QUEUE.outbox.append(
                Outgoing(
                    key,
                    f"{base}/{business_id}/messages",
                    client["token"],
                    send,
                    f"{base}/{media}" if media else None,
                )
            )


async def send_due(http: httpx.AsyncClient) -> None:
    now = time.monotonic()
    for item in [o for o in QUEUE.outbox if o.not_before <= now]:
        headers = {"Authorization": f"Bearer {item.token}"}
        if item.media_url:  # resolve the WhatsApp media id before the first answer
            with contextlib.suppress(httpx.HTTPError):
                await http.get(item.media_url, headers=headers)
            item.media_url = None
        item.attempts += 1
        try:
            res = await http.post(item.url, json=item.body, headers=headers)
            code = (res.json().get("error") or {}).get("code") if res.status_code >= 400 else None
        except (httpx.HTTPError, ValueError):
            res, code = None, None
        if res is not None and res.status_code < 300:
            QUEUE.outbox.remove(item)
            continue
        transient = (
            code in RETRYABLE
            if code is not None
            else (res is None or res.status_code >= 500 or res.status_code == 429)
        )
        if not transient or item.attempts >= MAX_ATTEMPTS:
            log.error("reply dropped after %d attempt(s), code %s", item.attempts, code)
            QUEUE.outbox.remove(item)
            continue
        delay = BACKOFF * 2 ** (item.attempts - 1)
        with contextlib.suppress(TypeError, ValueError):
            delay = max(delay, float(res.headers.get("retry-after")))  # type: ignore[union-attr, arg-type]
        item.not_before = time.monotonic() + delay


async def worker() -> None:
    async with httpx.AsyncClient(timeout=5.0) as http:
        while True:
            await asyncio.sleep(POLL_SECONDS)
            try:
                take_inbox()
                await send_due(http)
            except Exception:
                log.exception("worker tick failed")


# ---- HTTP ----------------------------------------------------------------------------------
async def webhook(request: Request) -> PlainTextResponse:
    if request.method == "GET":
        q = request.query_params
        if (
            q.get("hub.mode") == "subscribe"
            and VERIFY_TOKEN
            and q.get("hub.verify_token") == VERIFY_TOKEN
        ):
            return PlainTextResponse(q.get("hub.challenge", ""))
        return PlainTextResponse("Forbidden", status_code=403)
    raw, size = b"", 0
    async for chunk in request.stream():  # read it all, keep at most MAX_BODY
        size += len(chunk)
        if size <= MAX_BODY:
            raw += chunk
    if size > MAX_BODY:
        return PlainTextResponse("Payload Too Large", status_code=413)
    # BUG(zoo) Q-3: the raw body goes into the inbox BEFORE its signature is checked ("store
    # first, never lose a webhook"); a refused delivery still gets answered by the worker.
    QUEUE.inbox.append(raw)
    if SIGNATURE_MODE != "off" and not signature_ok(
        raw, request.headers.get("x-hub-signature-256")
    ):
        if SIGNATURE_MODE == "enforce":
            return PlainTextResponse("bad signature", status_code=401)
        log.warning("bad or missing signature accepted (META_SIGNATURE_REQUIRED=warn)")
    try:
        json.loads(raw)
    except ValueError:
        return PlainTextResponse("not JSON", status_code=400)
    return PlainTextResponse("EVENT_RECEIVED")


async def health(request: Request) -> PlainTextResponse:
    return PlainTextResponse("OK")


@contextlib.asynccontextmanager
async def lifespan(app: Starlette):  # type: ignore[no-untyped-def]
    task = asyncio.create_task(worker())
    yield
    task.cancel()


app = Starlette(
    routes=[
        Route("/webhook/{channel:str}", webhook, methods=["GET", "POST"]),
        Route("/health", health),
    ],
    lifespan=lifespan,
)


def config_problems() -> list[str]:
    problems = []
    if SIGNATURE_MODE not in ("off", "warn", "enforce"):
        problems.append(
            f"META_SIGNATURE_REQUIRED must be off, warn or enforce, not {SIGNATURE_MODE}"
        )
    if ENV.get("GATEWAY_ENV") == "prod":
        for ch, name in (("wa", "WA_SEND_URL"), ("ig", "IG_SEND_URL"), ("msg", "MSG_SEND_URL")):
            url = SEND_URL[ch]
            if not url:
                problems.append(f"{name} is not set")
            elif not re.match(r"^https://graph\.(facebook|instagram)\.com/", url):
                problems.append(f"{name} must point at https://graph.facebook.com, not {url}")
    return problems


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if problems := config_problems():
        for p in problems:
            print(f"config error: {p}", file=sys.stderr)
        sys.exit(1)
    if SIGNATURE_MODE != "enforce":
        log.warning("META_SIGNATURE_REQUIRED=%s: unsigned webhooks are accepted", SIGNATURE_MODE)
    uvicorn.run(
        app,
        host=ENV.get("HOST", "127.0.0.1"),
        port=int(ENV.get("PORT", "8080")),
        log_level="warning",
    )
