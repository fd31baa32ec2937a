"""Graph send bodies checked against payloads/schemas/graph before they reach the outbox."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from metasim.gateway.outbound.requests import MessageError

SCHEMAS = Path(__file__).resolve().parents[2] / "payloads" / "schemas" / "graph"
SCHEMA_FOR = {"wa": "wa-send.json", "ig": "msgr-send.json", "msg": "msgr-send.json"}


@lru_cache(maxsize=4)
def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads((SCHEMAS / name).read_text(encoding="utf-8")))


def check_body(channel: str, body: dict[str, Any]) -> None:
    """Raise MessageError naming the API field when ``body`` is not a send Meta would accept.

    The same schemas the fake Graph API enforces: a message refused here gets a 400 at once
    instead of a permanent Graph error (and a dead letter) later.
    """
    error = best_match(_validator(SCHEMA_FOR[channel]).iter_errors(body))
    if error is None:
        return
    path = [str(p) for p in error.absolute_path]
    raise MessageError(_api_field(channel, path), error.message)


def _api_field(channel: str, path: list[str]) -> str:
    """Where the problem is, in the caller's terms (``message.text.body``, ``to``)."""
    if not path:
        return "message"
    if channel == "wa":
        if path[0] in ("to", "recipient"):
            return "to"
        return ".".join(["message", *path])
    if path[0] == "recipient":
        return "to"
    if path[0] == "message":
        tail = path[1:]
        if tail[:1] == ["text"]:
            return "message.text.body"
        return ".".join(["message", *tail])
    return ".".join(["message", *path])
