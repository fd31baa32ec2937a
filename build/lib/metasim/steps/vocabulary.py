"""Closed vocabularies for step parameters: a typo fails listing every allowed value."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


class VocabularyError(ValueError):
    """A step parameter is not in its closed vocabulary; the message lists the allowed values."""


@dataclass(frozen=True)
class Vocabulary:
    """A named closed set of phrases, each mapped to the value the steps use."""

    name: str
    words: Mapping[str, str]
    hint: str = ""
    _folded: Mapping[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Case-insensitive on purpose: QA writes "WhatsApp" or "whatsapp"; both mean one thing.
        object.__setattr__(self, "_folded", {k.casefold(): v for k, v in self.words.items()})

    def __call__(self, phrase: str) -> str:
        """The value of ``phrase``; VocabularyError listing the allowed phrases otherwise."""
        value = self._folded.get(phrase.strip().casefold())
        if value is None:
            allowed = ", ".join(f'"{w}"' for w in self.words)
            hint = f" ({self.hint})" if self.hint else ""
            raise VocabularyError(f'unknown {self.name} "{phrase}"; allowed: {allowed}{hint}')
        return value

    @property
    def allowed(self) -> list[str]:
        """Every phrase accepted, in declaration order."""
        return list(self.words)


CHANNEL = Vocabulary(
    "channel",
    {"WhatsApp": "wa", "Instagram": "ig", "Messenger": "msg", "wa": "wa", "ig": "ig", "msg": "msg"},
)
SIGNATURE_MODE = Vocabulary("signature mode", {m: m for m in ("off", "warn", "enforce")})
# Signing variants: the phrase QA writes -> simulator.signing_defects name ("valid" = no defect).
SIGNATURE = Vocabulary(
    "signature",
    {
        "valid": "valid",
        "missing": "missing_header",
        "wrong secret": "wrong_secret",
        "tampered": "body_one_byte",
        "whitespace added": "body_whitespace",
        "uppercase hex": "uppercase_hex",
        "sha1 only": "sha1_only",
        "sha1 prefix": "wrong_prefix",
        "colon prefix": "colon_prefix",
        "no prefix": "no_prefix",
        "UTF-8 re-serialised": "utf8_reserialised",
        "empty": "empty_signature",
        "empty digest": "empty_digest",
        "valid plus legacy sha1": "legacy_sha1",
    },
    hint="see docs/step-catalogue.md",
)
HANDSHAKE = Vocabulary(
    "handshake",
    {
        "the right verify token": "valid",
        "a wrong verify token": "wrong_token",
        "no verify token": "missing_token",
        "no hub.mode": "missing_mode",
        "hub.mode unsubscribe": "other_mode",
    },
)
REDELIVERY = Vocabulary(
    "redelivery", {"the same bytes": "same", "re-serialised bytes": "reserialised"}
)
ENDPOINT = Vocabulary("endpoint", {"health": "health", "readiness": "ready", "metrics": "metrics"})
ORDER = Vocabulary("order", {"as built": "asis", "reverse": "reverse", "shuffled": "shuffle"})
# Graph faults QA can inject; each maps to the fake Graph API's fault (see steps/graph.py).
GRAPH_FAULT = Vocabulary(
    "Graph fault",
    {
        "temporary outage": "temporary",
        "rate limit": "rate_limit",
        "throughput limit": "throughput",
        "expired token": "expired_token",
        "invalid parameter": "invalid_parameter",
        "undeliverable recipient": "undeliverable",
        "generic server error": "server_error",
        "re-engagement window closed": "reengagement",
    },
)
STAGE = Vocabulary(
    "pipeline stage",
    {
        s: s
        for s in (
            "parse",
            "signature",
            "ack",
            "contract",
            "resolve_client",
            "apply_auth",
            "seal",
            "token_ok",
            "dedupe",
            "core",
            "outbox",
            "send",
            "dlq",
        )
    },
)
DIALECT = Vocabulary("dialect", {"dual": "dual", "classic": "classic", "BSUID": "bsuid"})
TENANT = Vocabulary(
    "tenant",
    {"primary": "primary", "secondary": "secondary", "expired": "expired", "unknown": "unknown"},
)


def _settings() -> Vocabulary:
    from metasim.steps.targets.settings import SETTINGS

    return Vocabulary("setting", {name: name for name in SETTINGS}, "see docs/writing-scenarios.md")


SETTING = _settings()
