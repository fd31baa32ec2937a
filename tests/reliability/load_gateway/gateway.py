"""A WhatsApp echo gateway that misbehaves on request: SLEEP before each 200, REPLIES per message.

Standard library only, started by the load tests from target.toml. It echoes each text once per
message id (redeliveries are not answered again) unless REPLIES says to answer each one more
often; SLEEP holds every webhook's 200 that long (an overloaded gateway, seen from Meta).
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

GRAPH_URL = os.environ["GRAPH_URL"].rstrip("/")
TOKEN = os.environ["GRAPH_TOKEN"]
SLEEP = float(os.environ.get("SLEEP", "0"))
REPLIES = int(os.environ.get("REPLIES", "1"))
seen: set[str] = set()
lock = threading.Lock()


def send(phone_number_id: str, to: str, text: str) -> None:
    body = {"messaging_product": "whatsapp", "to": to, "type": "text", "text": {"body": text}}
    request = urllib.request.Request(
        f"{GRAPH_URL}/{phone_number_id}/messages",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as r:
        r.read()


def answer(payload: dict) -> None:
    for entry in payload.get("entry", []):
        for change in entry.get("changes", []):
            value = change.get("value", {})
            number = value.get("metadata", {}).get("phone_number_id", "")
            for message in value.get("messages", []):
                with lock:
                    if message["id"] in seen:
                        continue
                    seen.add(message["id"])
                text = message.get("text", {}).get("body") or f"[{message.get('type')}]"
                for _ in range(REPLIES):
                    send(number, message["from"], text)


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def _reply(self, status: int, text: str) -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._reply(200, "OK")

    def do_POST(self) -> None:
        payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        threading.Thread(target=answer, args=(payload,), daemon=True).start()
        time.sleep(SLEEP)
        # Meta may have hung up first: the webhook is taken all the same
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._reply(200, "EVENT_RECEIVED")


ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
