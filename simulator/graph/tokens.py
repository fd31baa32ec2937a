"""Access tokens registered per tenant (phone number id, Page id, IG account id) and their check."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from metasim.simulator.graph.errors import GraphError, missing_token, oauth

CHANNELS = ("wa", "msg", "ig")


@dataclass(frozen=True, slots=True)
class TokenGrant:
    """``token`` may act for tenant ``tenant_id`` of ``channel`` until ``expires_at`` (epoch s)."""

    tenant_id: str
    channel: str
    token: str
    expires_at: float | None = None

    def __post_init__(self) -> None:
        if self.channel not in CHANNELS:
            raise ValueError(
                f"token for tenant {self.tenant_id!r}: channel {self.channel!r} is not one of "
                f"{', '.join(CHANNELS)}"
            )
        if not self.token or not self.tenant_id:
            raise ValueError("a token grant needs a non-empty tenant id and token")

    def masked(self) -> dict[str, Any]:
        """The grant with the token shortened, for listings."""
        return {**asdict(self), "token": mask(self.token)}


def mask(secret: str) -> str:
    """First 4 characters and the length: enough to tell tokens apart, never enough to use one."""
    return f"{secret[:4]}...({len(secret)} chars)" if secret else ""


def parse_grant(spec: str) -> TokenGrant:
    """``channel:tenant_id=token`` (e.g. ``wa:106540352242922=EAAG...``) as a grant."""
    head, sep, token = spec.partition("=")
    channel, colon, tenant = head.partition(":")
    if not sep or not colon or channel not in CHANNELS or not tenant or not token:
        raise ValueError(
            f"bad token spec {spec!r}: write CHANNEL:TENANT_ID=TOKEN with CHANNEL one of "
            f"{', '.join(CHANNELS)}, e.g. wa:106540352242922=EAAGtest"
        )
    return TokenGrant(tenant, channel, token)


def load_grants(path: str | Path) -> list[TokenGrant]:
    """Grants from a JSON file: ``[{"tenant_id", "channel", "token", "expires_at"?}, ...]``."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read tokens file {path}: {exc}") from exc
    if not isinstance(raw, list):
        raise ValueError(f"tokens file {path} must hold a JSON list of grants")
    try:
        return [TokenGrant(**item) for item in raw]
    except TypeError as exc:
        raise ValueError(
            f"tokens file {path}: each grant needs tenant_id, channel, token: {exc}"
        ) from exc


class TokenRegistry:
    """Which token may act for which tenant; checks a request's token like Graph does."""

    def __init__(self, clock: Callable[[], float], grants: Iterable[TokenGrant] = ()) -> None:
        self._clock = clock
        self._by_token: dict[str, list[TokenGrant]] = {}
        for grant in grants:
            self.register(grant)

    def register(self, grant: TokenGrant) -> TokenGrant:
        """Allow ``grant.token`` for ``grant.tenant_id`` (a token may cover several tenants)."""
        grants = [g for g in self._by_token.get(grant.token, []) if g.tenant_id != grant.tenant_id]
        self._by_token[grant.token] = [*grants, grant]
        return grant

    def add(
        self, tenant_id: str, token: str, channel: str, expires_at: float | None = None
    ) -> TokenGrant:
        """Shorthand for :meth:`register`."""
        return self.register(TokenGrant(tenant_id, channel, token, expires_at))

    def revoke(self, token: str) -> bool:
        """Forget ``token``; True if it was known."""
        return self._by_token.pop(token, None) is not None

    def expire(self, token: str) -> None:
        """Make ``token`` expired as of now (its next use answers 190 subcode 463)."""
        now = self._clock()
        for i, grant in enumerate(self._by_token.get(token, [])):
            self._by_token[token][i] = TokenGrant(grant.tenant_id, grant.channel, token, now)

    def clear(self) -> None:
        """Forget every token."""
        self._by_token.clear()

    def grants(self) -> list[TokenGrant]:
        """Every grant, in registration order per token."""
        return [g for grants in self._by_token.values() for g in grants]

    def tenants(self) -> dict[str, str]:
        """Tenant id -> channel of every registered tenant."""
        return {g.tenant_id: g.channel for g in self.grants()}

    def authenticate(self, token: str | None, object_id: str = "") -> list[TokenGrant]:
        """The grants of a valid token; GraphError 190 (unknown, expired), or 104 / 2500 when
        there is no token at all (2500 when ``object_id`` is ``me``)."""
        if not token:
            raise missing_token(object_id)
        grants = self._by_token.get(token)
        if not grants:
            raise oauth("Invalid OAuth access token - Cannot parse access token")
        now = self._clock()
        live = [g for g in grants if g.expires_at is None or g.expires_at > now]
        if not live:
            # Graph's expired-session wording; subcode 463 = "session has expired"
            raise oauth(
                "Error validating access token: Session has expired. The current time is "
                f"{int(now)}.",
                subcode=463,
            )
        return live


def extract_token(headers: Mapping[str, str], query: Mapping[str, str]) -> str | None:
    """The token from ``Authorization: Bearer`` or the ``access_token`` query parameter."""
    auth = headers.get("authorization")
    if auth:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() in ("bearer", "oauth") and value.strip():
            return value.strip()
        return None
    return query.get("access_token") or None


def check_grants(
    grants: list[TokenGrant], object_id: str, channels: tuple[str, ...] = CHANNELS
) -> TokenGrant | None:
    """The grant covering ``object_id``; for ``me``, the token's first tenant of ``channels``
    (one token may serve several tenants in the fake, so ``me`` needs the channel to choose)."""
    for grant in grants:
        if grant.tenant_id == object_id or (object_id == "me" and grant.channel in channels):
            return grant
    return None


__all__ = [
    "CHANNELS",
    "GraphError",
    "TokenGrant",
    "TokenRegistry",
    "check_grants",
    "extract_token",
    "load_grants",
    "mask",
    "parse_grant",
]
