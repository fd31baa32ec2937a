"""Clients file: which client owns each phone number / page / IG account, its token and reply rule."""

from __future__ import annotations

import hmac
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

CHANNELS = ("wa", "ig", "msg")
RULE_KINDS = ("echo", "fixed", "keywords")


class ClientsFileError(ValueError):
    """The clients file is unreadable or invalid; ``problems`` lists every one, with its path."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"invalid clients file {source}:\n  - " + "\n  - ".join(problems))


@dataclass(frozen=True)
class ReplyRule:
    """How a client answers an inbound message: echo it, a fixed text, or a keyword map."""

    kind: str = "echo"
    text: str | None = None
    keywords: dict[str, str] = field(default_factory=dict)
    default: str | None = None

    def reply(self, inbound_text: str | None, message_type: str) -> str:
        """The reply text for one inbound message (always one, so every message gets a reply)."""
        if self.kind == "fixed":
            return self.text or ""
        if self.kind == "keywords":
            # whole words, any case, punctuation ignored; the first keyword in file order wins
            said = (inbound_text or "").lower()
            for word, answer in self.keywords.items():
                if re.search(r"(?<!\w)" + re.escape(word.lower()) + r"(?!\w)", said):
                    return answer
            return self.default or ""
        # echo: a non-text message still gets a deterministic, observable answer
        return inbound_text if inbound_text else f"[{message_type}]"


@dataclass(frozen=True)
class Client:
    """One client of the gateway (clients file entry); tokens are kept out of repr."""

    client_id: str
    name: str
    channels: dict[str, tuple[str, ...]]
    graph_token: str = field(repr=False)
    reply_rule: ReplyRule = field(default_factory=ReplyRule)
    token_expires_at: float | None = None  # epoch seconds; None = no known expiry
    api_key: str | None = field(default=None, repr=False)

    def token_ok(self, now: float) -> bool:
        """True when the Graph token is set and not past its known expiry."""
        if not self.graph_token:
            return False
        return self.token_expires_at is None or now < self.token_expires_at


class Tenants:
    """Index from (channel, tenant id) to client, built once from the clients file."""

    def __init__(self, clients: list[Client]) -> None:
        self.clients = clients
        self._index: dict[tuple[str, str], Client] = {}
        for client in clients:
            for channel, ids in client.channels.items():
                for tenant_id in ids:
                    self._index[(channel, tenant_id)] = client

    @classmethod
    def load(cls, path: str | Path, env: Mapping[str, str] | None = None) -> Tenants:
        """Read and validate the clients file; ``token_env`` / ``api_key_env`` read from ``env``."""
        source = str(path)
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ClientsFileError(source, ["file not found (set GATEWAY_CLIENTS_FILE)"]) from None
        except (OSError, ValueError) as exc:
            raise ClientsFileError(source, [f"not readable JSON: {exc}"]) from None
        return cls.from_dict(data, env=env, source=source)

    @classmethod
    def from_dict(
        cls, data: Any, *, env: Mapping[str, str] | None = None, source: str = "<clients>"
    ) -> Tenants:
        """Build from the parsed clients file (``{"clients": [...]}``), listing every problem."""
        src_env = os.environ if env is None else env
        problems: list[str] = []
        raw = data.get("clients") if isinstance(data, dict) else None
        if not isinstance(raw, list):
            raise ClientsFileError(source, ['top level must be {"clients": [ ... ]}'])
        clients = [c for i, e in enumerate(raw) if (c := _client(e, i, src_env, problems))]
        seen: dict[tuple[str, str], str] = {}
        for c in clients:
            for ch, ids in c.channels.items():
                for tid in ids:
                    if (ch, tid) in seen and seen[(ch, tid)] != c.client_id:
                        problems.append(
                            f"{ch} id {tid} belongs to both {seen[(ch, tid)]} and {c.client_id}"
                        )
                    seen[(ch, tid)] = c.client_id
        if problems:
            raise ClientsFileError(source, problems)
        return cls(clients)

    def resolve(self, channel: str, tenant_id: str | None) -> Client | None:
        """The client owning ``tenant_id`` on ``channel``, or None (unknown tenant)."""
        if tenant_id is None:
            return None
        return self._index.get((channel, tenant_id))

    def by_api_key(self, key: str) -> Client | None:
        """The client whose API key is ``key`` (constant-time compare against each key)."""
        found = None
        for client in self.clients:
            if client.api_key and hmac.compare_digest(client.api_key.encode(), key.encode()):
                found = client
        return found

    def secret_values(self) -> list[str]:
        """Every Graph token and API key, so the log filter masks them."""
        return [v for c in self.clients for v in (c.graph_token, c.api_key) if v]


def _client(entry: Any, i: int, env: Mapping[str, str], problems: list[str]) -> Client | None:
    where = f"clients[{i}]"
    if not isinstance(entry, dict):
        problems.append(f"{where} must be an object")
        return None
    before = len(problems)
    client_id = entry.get("client_id")
    if not isinstance(client_id, str) or not client_id:
        problems.append(f"{where}.client_id must be a non-empty string")
        client_id = ""
    channels = _channels(entry.get("channels"), where, problems)
    token = _secret(entry, "token", "token_env", where, env, problems, required=True)
    api_key = _secret(entry, "api_key", "api_key_env", where, env, problems, required=False)
    rule = _rule(entry.get("reply_rule", {"kind": "echo"}), where, problems)
    expires = _expiry(entry.get("token_expires_at"), where, problems)
    if len(problems) > before:
        return None
    return Client(
        client_id=client_id,
        name=str(entry.get("name") or client_id),
        channels=channels,
        graph_token=token or "",
        reply_rule=rule,
        token_expires_at=expires,
        api_key=api_key,
    )


def _channels(raw: Any, where: str, problems: list[str]) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, dict) or not raw:
        problems.append(f'{where}.channels must be an object like {{"wa": ["<phone_number_id>"]}}')
        return {}
    out: dict[str, tuple[str, ...]] = {}
    for ch, ids in raw.items():
        if ch not in CHANNELS:
            problems.append(
                f"{where}.channels.{ch}: unknown channel, use one of {', '.join(CHANNELS)}"
            )
        elif not isinstance(ids, list) or not all(isinstance(x, str) and x for x in ids):
            problems.append(f"{where}.channels.{ch} must be a list of id strings")
        else:
            out[ch] = tuple(ids)
    return out


def _secret(
    entry: dict[str, Any],
    key: str,
    env_key: str,
    where: str,
    env: Mapping[str, str],
    problems: list[str],
    *,
    required: bool,
) -> str | None:
    value, var = entry.get(key), entry.get(env_key)
    if value is not None and var is not None:
        problems.append(f"{where}: give {key} or {env_key}, not both")
        return None
    if var is not None:
        if not isinstance(var, str) or not env.get(var):
            # the variable's name is safe to print, its value never is
            problems.append(f"{where}.{env_key}: env var {var!r} is not set")
            return None
        return env[var]
    if value is None:
        if required:
            problems.append(f"{where}: {key} or {env_key} is required")
        return None
    if not isinstance(value, str) or not value:
        problems.append(f"{where}.{key} must be a non-empty string")
        return None
    return value


def _rule(raw: Any, where: str, problems: list[str]) -> ReplyRule:
    if not isinstance(raw, dict) or raw.get("kind") not in RULE_KINDS:
        problems.append(f"{where}.reply_rule.kind must be one of {', '.join(RULE_KINDS)}")
        return ReplyRule()
    kind = raw["kind"]
    if kind == "fixed" and not (isinstance(raw.get("text"), str) and raw["text"]):
        problems.append(f"{where}.reply_rule.text is required for kind fixed")
    keywords = raw.get("keywords", {})
    if kind == "keywords":
        ok = (
            isinstance(keywords, dict)
            and keywords
            and all(isinstance(k, str) and isinstance(v, str) and v for k, v in keywords.items())
        )
        if not ok:
            problems.append(f"{where}.reply_rule.keywords must map words to non-empty replies")
            keywords = {}
        if not (isinstance(raw.get("default"), str) and raw["default"]):
            # without a default an unmatched message would get no reply (one reply per message)
            problems.append(f"{where}.reply_rule.default is required for kind keywords")
    return ReplyRule(
        kind=kind,
        text=raw.get("text"),
        keywords=dict(keywords) if isinstance(keywords, dict) else {},
        default=raw.get("default"),
    )


def _expiry(raw: Any, where: str, problems: list[str]) -> float | None:
    if raw is None:
        return None
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return float(raw)
    if isinstance(raw, str):
        try:
            return datetime.fromisoformat(raw.replace("Z", "+00:00")).timestamp()
        except ValueError:
            pass
    problems.append(
        f"{where}.token_expires_at must be ISO 8601 (2030-01-01T00:00:00Z) or epoch seconds"
    )
    return None
