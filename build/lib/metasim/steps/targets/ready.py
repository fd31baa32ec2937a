"""Readiness probes for a started gateway: Meta's handshake, an HTTP path, or a TCP connect."""

from __future__ import annotations

import secrets
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx

from metasim.steps.targets.config import TargetConfig, expand
from metasim.steps.targets.specs import ReadyProbe


def probe(
    config: TargetConfig, spec: ReadyProbe, base_url: str, values: dict[str, str]
) -> tuple[Callable[[], bool], str]:
    """A callable answering "is it ready?" once, and a description for error messages."""
    if spec.kind == "http":
        url = _url(base_url, expand(spec.path, values))
        wanted = set(spec.status)

        def http_ready() -> bool:
            answer = httpx.get(url, timeout=1.0)
            return answer.status_code in wanted and spec.body in answer.text

        body = f" with {spec.body!r} in the body" if spec.body else ""
        return http_ready, f"GET {url} answering {sorted(wanted)}{body}"
    if spec.kind == "handshake" and config.verify_token and config.channels:
        url = _url(base_url, config.webhooks[config.channels[0]])

        def handshake_ready() -> bool:
            challenge = secrets.token_hex(8)
            params = {
                "hub.mode": "subscribe",
                "hub.verify_token": config.verify_token,
                "hub.challenge": challenge,
            }
            answer = httpx.get(url, params=params, timeout=1.0)
            return answer.status_code == 200 and answer.text.strip() == challenge

        return handshake_ready, f"Meta's GET handshake on {url} echoing its challenge"
    # a gateway without a verify token cannot be asked the handshake: its port must open
    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80

    def tcp_ready() -> bool:
        with socket.create_connection((host, port), timeout=1.0):
            return True

    return tcp_ready, f"a TCP connection to {host}:{port}"


def _url(base_url: str, path: str) -> str:
    return path if path.startswith(("http://", "https://")) else base_url + path
