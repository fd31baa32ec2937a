"""The baseline endpoint of the load and gateway benches: verify Meta's HMAC, answer 200, nothing else.

``python -m metasim.simulator.load.bare --port N --secret S`` serves POST on ``/webhook`` and
``/webhook/{wa,ig,msg}`` with uvicorn[standard], as the gateway is served: the floor any gateway
pays for HTTP plus the signature check, measured beside it in the same run.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import sys

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

PATHS = ("/webhook", "/webhook/wa", "/webhook/ig", "/webhook/msg")


def bare_app(secret: str) -> Starlette:
    """Read the body, check X-Hub-Signature-256 in constant time, answer 200 (403 if wrong)."""
    key = secret.encode()

    async def webhook(request: Request) -> PlainTextResponse:
        body = await request.body()
        want = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(want, request.headers.get("x-hub-signature-256", "")):
            return PlainTextResponse("bad signature", status_code=403)
        return PlainTextResponse("EVENT_RECEIVED")

    return Starlette(routes=[Route(path, webhook, methods=["POST"]) for path in PATHS])


def command(port: int, secret: str) -> list[str]:
    """The argv that serves the bare endpoint on ``port`` in a child process."""
    return [sys.executable, "-m", __name__, "--port", str(port), "--secret", secret]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secret", required=True, help="the app secret the senders sign with")
    args = parser.parse_args(argv)
    import uvicorn

    uvicorn.run(bare_app(args.secret), host="127.0.0.1", port=args.port, log_level="warning",
                access_log=False)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
