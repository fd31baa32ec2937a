"""py-echo-bot: a one-business echo bot for WhatsApp, Instagram and Messenger webhooks.

Python standard library only (http.server, threads, urllib). Written from Meta's webhook
formats and the acceptance suite's features, the way many small bots are: one configured
business (one phone number id, one Page, one Instagram account, one Graph token), the message
parsed in the request handler, replies sent by a background thread.

It carries FOUR DELIBERATE BUGS, each one spot marked ``BUG(zoo)`` (README.md lists them).

Settings (env): PORT, HOST, META_APP_SECRET, META_VERIFY_TOKEN, META_SIGNATURE_REQUIRED
(off | warn | enforce, default warn), WA_SEND_URL / IG_SEND_URL / MSG_SEND_URL (Graph base
with version), GATEWAY_ENV (prod refuses missing or local send URLs), PHONE_NUMBER_ID,
PAGE_ID, IG_ACCOUNT_ID, GRAPH_TOKEN, SEND_MAX_ATTEMPTS (default 3).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

ENV = os.environ
APP_SECRET = ENV.get("META_APP_SECRET", "").encode()
VERIFY_TOKEN = ENV.get("META_VERIFY_TOKEN", "")
SIGNATURE_MODE = ENV.get("META_SIGNATURE_REQUIRED", "warn")
SEND_URL = {
    "wa": ENV.get("WA_SEND_URL"),
    "ig": ENV.get("IG_SEND_URL"),
    "msg": ENV.get("MSG_SEND_URL"),
}
# the one business this bot answers for, per channel
OWN_ID = {
    "wa": ENV.get("PHONE_NUMBER_ID"),
    "ig": ENV.get("IG_ACCOUNT_ID"),
    "msg": ENV.get("PAGE_ID"),
}
TOKEN = ENV.get("GRAPH_TOKEN", "")
MAX_ATTEMPTS = int(ENV.get("SEND_MAX_ATTEMPTS", "3"))
MAX_BODY = 3_000_000  # Meta's documented webhook body limit
WEBHOOK = re.compile(r"^/webhook/(wa|ig|msg)/?$")

# WhatsApp message types the bot knows how to turn into a reply text.
# (a message whose type object is missing gets its "[type]" answer, never a crash)
WA_TEXT = {
    "text": lambda m: (m.get("text") or {}).get("body"),
    "image": lambda m: (m.get("image") or {}).get("caption"),
    "video": lambda m: (m.get("video") or {}).get("caption"),
    "document": lambda m: (m.get("document") or {}).get("caption"),
    "audio": lambda m: None,
    "sticker": lambda m: None,
    "location": lambda m: (m.get("location") or {}).get("name"),
    "interactive": lambda m: (
        (m.get("interactive") or {}).get("button_reply")
        or (m.get("interactive") or {}).get("list_reply")
        or {}
    ).get("title"),
    "button": lambda m: (m.get("button") or {}).get("text"),
}
# Messenger / Instagram messaging event kinds the bot knows; only message and postback are answered.
MESSAGING_KINDS = ("message", "postback", "read", "delivery")


def log(level: str, msg: str, **fields: object) -> None:
    print(
        json.dumps(
            {
                "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "level": level,
                "msg": msg,
                **fields,
            }
        ),
        flush=True,
    )


class UnknownEvent(Exception):
    """A webhook the bot has no handler for."""


def unknown_event(what: str) -> None:
    # BUG(zoo) PY-4: an event kind the bot has no handler for raises, and the request answers
    # 500 (WhatsApp contacts, order, reaction; another product's object ...) instead of a 200
    # that acknowledges and ignores it. Meta then redelivers it, and the whole batch with it.
    raise UnknownEvent(what)


# ---- parsing -------------------------------------------------------------------------------
def parse(body: dict) -> list[dict]:
    """The replies a webhook asks for: [{channel, to, to_field, text, media_id}]."""
    kind = body.get("object")
    if kind == "whatsapp_business_account":
        return list(_whatsapp(body))
    if kind in ("instagram", "page"):
        return list(_messaging("ig" if kind == "instagram" else "msg", body))
    unknown_event(f"object {kind!r}")
    return []


def _whatsapp(body: dict):
    for entry in body.get("entry", []):
        for change in entry.get("changes", []):
            value = change.get("value", {})
            if value.get("metadata", {}).get("phone_number_id") != OWN_ID["wa"]:
                continue  # not our number: not ours to answer
            for m in value.get("messages", []):  # value["statuses"]: delivery reports, ignored
                if not m.get("id"):
                    log("warn", "whatsapp message without id dropped")
                    continue
                if m.get("group_id"):
                    continue  # a group message: not answered one-to-one
                if m.get("type") not in WA_TEXT:
                    unknown_event(f"whatsapp message type {m.get('type')!r}")
                bsuid = m.get("from_user_id") if not m.get("from") else None
                media = (
                    (m.get(m["type"]) or {}).get("id")
                    if m["type"] in ("image", "video", "audio", "document", "sticker")
                    else None
                )
                yield {
                    "channel": "wa",
                    "to": bsuid or m["from"],
                    "to_field": "recipient" if bsuid else "to",
                    "text": WA_TEXT[m["type"]](m) or f"[{m['type']}]",
                    "media_id": media,
                }


def _messaging(channel: str, body: dict):
    for entry in body.get("entry", []):
        if entry.get("id") != OWN_ID[channel]:
            continue  # not our Page / IG account
        for change in entry.get("changes", []) if channel == "ig" else []:
            # an Instagram comment: answered with a direct message to its author
            value = change.get("value", {})
            author = (value.get("from") or {}).get("id")
            mine = author == entry.get("id")  # the account's own comment: nothing to answer
            if change.get("field") in ("comments", "live_comments") and author and not mine:
                yield {"channel": "ig", "to": author, "text": value.get("text") or "[comment]"}
        for ev in entry.get("messaging", []):
            kind = next((k for k in ev if k not in ("sender", "recipient", "timestamp")), None)
            if kind not in MESSAGING_KINDS:
                unknown_event(f"{channel} event {kind!r}")
            # echoes are the business's own sends; a deleted message has nothing to answer; an
            # is_self message is an account's test message to itself
            if kind == "message" and not (
                ev["message"].get("is_echo")
                or ev["message"].get("is_deleted")
                or ev["message"].get("is_self")
            ):
                m = ev["message"]
                attachment = (m.get("attachments") or [{}])[0].get("type")
                yield {
                    "channel": channel,
                    "to": ev["sender"]["id"],
                    "text": m.get("text") or f"[{attachment or 'message'}]",
                }
            elif kind == "postback":
                p = ev["postback"]
                yield {
                    "channel": channel,
                    "to": ev["sender"]["id"],
                    "text": p.get("payload") or p.get("title") or "[postback]",
                }


# ---- dedupe --------------------------------------------------------------------------------
_seen: set[str] = set()
_seen_lock = threading.Lock()


def first_time(raw: bytes) -> bool:
    # BUG(zoo) PY-1: dedupes on the raw body bytes, not on the message ids. The same bytes sent
    # twice are caught, but a redelivery serialised differently (Meta does not promise the same
    # bytes) is answered a second time.
    key = hashlib.sha256(raw).hexdigest()
    with _seen_lock:
        if key in _seen:
            return False
        _seen.add(key)
        return True


# ---- sending -------------------------------------------------------------------------------
def graph(method: str, url: str, body: dict | None = None) -> tuple[int, dict, dict]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        url,
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=5) as res:
            return res.status, json.loads(res.read() or b"{}"), dict(res.headers)
    except urllib.error.HTTPError as err:
        try:
            payload = json.loads(err.read() or b"{}")
        except ValueError:
            payload = {}
        return err.code, payload, dict(err.headers)


def retryable(status: int, payload: dict) -> bool:
    """Whether a failed send is worth another attempt."""
    # BUG(zoo) PY-2: every Graph error is retried, permanent ones too (100 invalid parameter,
    # 190 expired token, 131026 undeliverable, 131047 window closed): the same send goes out
    # again although Graph refused it for good, and goes through late if the refusal was not
    # repeated.
    return True


def retry_delay(headers: dict) -> float:
    """Seconds to wait before the next attempt."""
    # BUG(zoo) PY-3: a fixed 1 s wait; the Retry-After header Graph sends with rate limits
    # (throughput 130429, rate limit 4: 60 s) is never read.
    return 1.0


def send(item: dict) -> None:
    base = SEND_URL[item["channel"]]
    if item.get("media_id"):
        status, _, _ = graph("GET", f"{base}/{item['media_id']}")  # the media's URL and type
        log("info", "media looked up", status=status)
    if item["channel"] == "wa":
        url = f"{base}/{OWN_ID['wa']}/messages"
        body = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            item["to_field"]: item["to"],
            "type": "text",
            "text": {"body": item["text"][:4096]},
        }
    else:
        url = f"{base}/{OWN_ID[item['channel']]}/messages"
        body = {
            "recipient": {"id": item["to"]},
            "messaging_type": "RESPONSE",
            "message": {"text": item["text"][:2000]},
        }
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            status, payload, headers = graph("POST", url, body)
        except OSError as err:
            status, payload, headers = 0, {"error": {"message": str(err)}}, {}
        if 200 <= status < 300:
            return
        code = payload.get("error", {}).get("code")
        log(
            "warn",
            "graph send failed",
            channel=item["channel"],
            attempt=attempt,
            status=status,
            code=code,
        )
        if not retryable(status, payload) or attempt == MAX_ATTEMPTS:
            break
        time.sleep(retry_delay(headers))
    log("error", "reply not sent", channel=item["channel"])


def send_all(items: list[dict]) -> None:
    for item in items:
        try:
            send(item)
        except Exception as err:  # one bad reply must not stop the others
            log("error", "send crashed", error=repr(err))


# ---- HTTP ----------------------------------------------------------------------------------
def signature_ok(raw: bytes, header: str | None) -> bool:
    # "sha256=" + lowercase hex HMAC-SHA256 of the raw bytes, compared in constant time
    want = "sha256=" + hmac.new(APP_SECRET, raw, hashlib.sha256).hexdigest()
    return (
        bool(APP_SECRET)
        and header is not None
        and hmac.compare_digest(header.encode(), want.encode())
    )


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt: str, *args: object) -> None:  # no access log on stderr
        pass

    def _answer(self, status: int, text: str) -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if not WEBHOOK.match(url.path):
            return self._answer(404, "Not Found")
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        if (
            q.get("hub.mode") == "subscribe"
            and VERIFY_TOKEN
            and q.get("hub.verify_token") == VERIFY_TOKEN
        ):
            return self._answer(200, q.get("hub.challenge", ""))
        return self._answer(403, "Forbidden")

    def do_POST(self) -> None:
        if not WEBHOOK.match(urlsplit(self.path).path):
            return self._answer(404, "Not Found")
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            while length > 0:  # read and drop it, so the client gets the answer, not a reset
                chunk = self.rfile.read(min(length, 65536))
                if not chunk:
                    break
                length -= len(chunk)
            return self._answer(413, "Payload Too Large")
        raw = self.rfile.read(length)
        if SIGNATURE_MODE != "off" and not signature_ok(
            raw, self.headers.get("X-Hub-Signature-256")
        ):
            if SIGNATURE_MODE == "enforce":
                return self._answer(401, "bad signature")
            log("warn", "bad or missing signature accepted (META_SIGNATURE_REQUIRED=warn)")
        try:
            body = json.loads(raw)
        except ValueError:
            return self._answer(400, "not JSON")
        try:
            items = parse(body)
        except Exception as err:  # PY-4 lands here: the whole webhook answers 500
            log("error", "webhook not handled", error=repr(err))
            return self._answer(500, "error")
        if not first_time(raw):
            return self._answer(200, "duplicate")
        self._answer(200, "EVENT_RECEIVED")
        if items:
            threading.Thread(target=send_all, args=(items,), daemon=True).start()


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


def main() -> None:
    problems = config_problems()
    if problems:
        for p in problems:
            print(f"config error: {p}", file=sys.stderr)
        sys.exit(1)
    if SIGNATURE_MODE != "enforce":
        log("warn", f"META_SIGNATURE_REQUIRED={SIGNATURE_MODE}: unsigned webhooks are accepted")
    server = ThreadingHTTPServer(
        (ENV.get("HOST", "127.0.0.1"), int(ENV.get("PORT", "8080"))), Handler
    )
    server.daemon_threads = True
    log("info", "listening", port=server.server_port)
    import signal

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
