"""A WhatsApp-only echo bot with nothing but its webhook routes: the walk-through of docs/adopting.md.

Python standard library only. GET /webhook answers Meta's verification handshake; POST /webhook
checks X-Hub-Signature-256 over the raw bytes, answers 200 at once, and a background thread
answers each user message (once per message id) through the Graph API with the acceptance
suite's echo rule: the message's words (text, caption, chosen button or row), or its type in
brackets. Statuses, system notices, group messages and removed reactions are acknowledged and
not answered. It serves one phone number.

Settings (env): PORT, APP_SECRET, VERIFY_TOKEN, GRAPH_URL (base with version, e.g.
https://graph.facebook.com/v25.0), PHONE_NUMBER_ID, GRAPH_TOKEN.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import queue
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

APP_SECRET = os.environ["APP_SECRET"].encode()
VERIFY_TOKEN = os.environ["VERIFY_TOKEN"]
GRAPH_URL = os.environ["GRAPH_URL"].rstrip("/")
PHONE_NUMBER_ID = os.environ["PHONE_NUMBER_ID"]
GRAPH_TOKEN = os.environ["GRAPH_TOKEN"]
MAX_BODY = 1024 * 1024
# Meta redelivers a webhook it thinks was lost: remember message ids so each is echoed once
SEEN_LIMIT = 100_000
# transient Graph errors worth another try (rate limits, Meta-side trouble, Graph's error
# codes page): anything else (a bad token, a closed 24 h window, a bad body) fails the same way
# every time, and a retry would only repeat it
TRANSIENT_CODES = {1, 2, 4, 17, 32, 613, 80007, 130429, 131000, 131016, 131048, 131056}
ATTEMPTS = 3

seen: dict[str, None] = {}
seen_lock = threading.Lock()
replies: queue.Queue[tuple[dict[str, str], str]] = queue.Queue()


def first_time(message_id: str) -> bool:
    """True the first time ``message_id`` is seen (oldest ids are forgotten past SEEN_LIMIT)."""
    with seen_lock:
        if message_id in seen:
            return False
        seen[message_id] = None
        if len(seen) > SEEN_LIMIT:
            seen.pop(next(iter(seen)))
        return True


def words(message: dict[str, Any]) -> str | None:
    """What the user wrote or chose, when the message has words."""
    kind = message.get("type")
    inner = message.get(kind) if isinstance(kind, str) else None
    inner = inner if isinstance(inner, dict) else {}  # Meta may leave the object out
    if kind == "text":
        return inner.get("body")
    if kind in ("image", "video", "document"):
        return inner.get("caption")
    if kind == "interactive":
        chosen = inner.get("button_reply") or inner.get("list_reply") or {}
        return chosen.get("title") or chosen.get("id")
    if kind == "button":
        return inner.get("text") or inner.get("payload")
    if kind == "location":
        return inner.get("name")
    if kind == "reaction":
        return inner.get("emoji")
    if kind == "order":
        return inner.get("text")
    return None


def answerable(message: dict[str, Any]) -> bool:
    """A user message to answer: not a notice, not a group message, not a removed reaction."""
    if message.get("type") in ("system", "request_welcome") or message.get("group_id"):
        return False
    if message.get("type") == "reaction" and not (message.get("reaction") or {}).get("emoji"):
        return False
    return bool(message.get("id"))


def texts(body: dict[str, Any]) -> list[tuple[str, dict[str, str], str]]:
    """(message id, whom to answer, reply text) of each user message for our phone number.

    Since 2026 a message carries the phone (``from``) and the business-scoped user id
    (``from_user_id``) together, or the user id alone for a user who hides the phone: answer
    the phone with ``to`` when there is one, else the user id with ``recipient``.
    """
    found = []
    for entry in body.get("entry") or []:
        for change in entry.get("changes") or []:
            value = change.get("value") or {}
            if (value.get("metadata") or {}).get("phone_number_id") != PHONE_NUMBER_ID:
                continue
            for message in value.get("messages") or []:
                if not answerable(message):
                    continue
                if message.get("from"):
                    whom = {"to": message["from"]}
                elif message.get("from_user_id"):
                    whom = {"recipient": message["from_user_id"]}
                else:
                    continue
                text = words(message) or f"[{message.get('type')}]"
                found.append((message["id"], whom, text))
    return found


def send(whom: dict[str, str], text: str) -> None:
    """POST the reply to Graph: up to ATTEMPTS on transient errors, after Retry-After if given
    (else 1 s, then 2 s); a refused connection is retried too (the request never left)."""
    payload = {"messaging_product": "whatsapp", **whom, "type": "text", "text": {"body": text}}
    request = urllib.request.Request(
        f"{GRAPH_URL}/{PHONE_NUMBER_ID}/messages",
        data=json.dumps(payload).encode(),
        headers={"Authorization": f"Bearer {GRAPH_TOKEN}", "Content-Type": "application/json"},
    )
    for attempt in range(1, ATTEMPTS + 1):
        try:
            urllib.request.urlopen(request, timeout=10).read()
            return
        except urllib.error.HTTPError as exc:
            error = json.loads(exc.read() or b"{}").get("error") or {}
            if attempt == ATTEMPTS or error.get("code") not in TRANSIENT_CODES:
                print(f"send to {whom} failed: HTTP {exc.code} {error}", flush=True)
                return
            time.sleep(float(exc.headers.get("Retry-After") or attempt))
        except urllib.error.URLError as exc:
            refused = isinstance(exc.reason, ConnectionRefusedError)
            if not refused or attempt == ATTEMPTS:
                # no answer after the request left: Graph may have sent it, no blind retry
                print(f"send to {whom}: no answer ({exc.reason})", flush=True)
                return
            time.sleep(attempt)
        except OSError as exc:  # a read timeout or a reset: as ambiguous as above
            print(f"send to {whom}: no answer ({exc})", flush=True)
            return


def sender() -> None:
    while True:
        whom, text = replies.get()
        send(whom, text)


class Webhook(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if (
            url.path == "/webhook"
            and query.get("hub.mode") == "subscribe"
            and query.get("hub.verify_token") == VERIFY_TOKEN
        ):
            return self.answer(200, query.get("hub.challenge", ""))
        return self.answer(403 if url.path == "/webhook" else 404, "")

    def do_POST(self) -> None:
        if urlsplit(self.path).path != "/webhook":
            return self.answer(404, "")
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            return self.answer(413, "")
        raw = self.rfile.read(length)
        expected = "sha256=" + hmac.new(APP_SECRET, raw, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(self.headers.get("X-Hub-Signature-256", ""), expected):
            return self.answer(401, "")
        try:
            body = json.loads(raw)
        except ValueError:
            return self.answer(400, "")
        self.answer(200, "EVENT_RECEIVED")
        if isinstance(body, dict) and body.get("object") == "whatsapp_business_account":
            for message_id, whom, text in texts(body):
                if first_time(message_id):
                    replies.put((whom, text))

    def answer(self, status: int, text: str) -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per webhook would drown the send errors


if __name__ == "__main__":
    # a few senders, so one reply waiting out a Retry-After does not hold up the others
    for _ in range(4):
        threading.Thread(target=sender, daemon=True).start()
    server = ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Webhook)
    print(f"listening on 127.0.0.1:{server.server_port}", flush=True)
    server.serve_forever()
