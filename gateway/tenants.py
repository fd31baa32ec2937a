"""Clients file: which client owns each phone number / page / IG account, its token and reply rule."""

from __future__ import annotations

import hmac
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from metasim.gateway.clients_errors import clients_problems
from metasim.gateway.clients_model import ClientEntry, ClientsFile, FixedRule, KeywordsRule

CHANNELS = ("wa", "ig", "msg")


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
        try:
            parsed = ClientsFile.model_validate(data, context={"env": src_env})
        except ValidationError as exc:
            raise ClientsFileError(source, clients_problems(exc)) from None
        return cls([_client(entry, src_env) for entry in parsed.clients])

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


def _client(entry: ClientEntry, env: Mapping[str, str]) -> Client:
    """A validated entry as the runtime's Client (secrets read from ``env`` when named)."""
    rule = entry.reply_rule
    expires = entry.token_expires_at
    token = env[entry.token_env] if entry.token_env else entry.token
    api_key = env[entry.api_key_env] if entry.api_key_env else entry.api_key
    return Client(
        client_id=entry.client_id,
        name=entry.name or entry.client_id,
        channels={ch: tuple(ids) for ch, ids in entry.channels.items()},
        graph_token=token or "",
        reply_rule=ReplyRule(
            kind=rule.kind,
            text=rule.text if isinstance(rule, FixedRule) else None,
            keywords=dict(rule.keywords) if isinstance(rule, KeywordsRule) else {},
            default=rule.default if isinstance(rule, KeywordsRule) else None,
        ),
        token_expires_at=None if expires is None else expires.timestamp(),
        api_key=api_key,
    )
