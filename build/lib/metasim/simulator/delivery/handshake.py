"""The GET verification handshake and its variants: what Meta sends and what it requires back (§e)."""

from __future__ import annotations

import secrets

from metasim.simulator.delivery.records import HandshakeResult

# variant -> whether the gateway must accept it (200 + challenge) or refuse it (403)
HANDSHAKE_VARIANTS: dict[str, str] = {
    "valid": "hub.mode=subscribe and the right token: 200 with the challenge as the body",
    "wrong_token": "hub.mode=subscribe, another token: 403",
    "missing_token": "hub.mode=subscribe, no hub.verify_token: 403",
    "missing_mode": "right token, no hub.mode: 403 (pywa and n8n never check it, §l)",
    "other_mode": "hub.mode=unsubscribe with the right token: 403",
}


def new_challenge() -> str:
    """A fresh challenge: Meta sends an int and expects it back verbatim."""
    return str(secrets.randbelow(9 * 10**9) + 10**9)


def handshake_request(
    variant: str, token: str, challenge: str | None = None
) -> tuple[dict[str, str], int, str | None]:
    """Query parameters for ``variant`` and the answer Meta requires: (params, status, body)."""
    if variant not in HANDSHAKE_VARIANTS:
        raise ValueError(
            f"unknown handshake variant {variant!r}; known: {', '.join(HANDSHAKE_VARIANTS)}"
        )
    challenge = challenge or new_challenge()
    params = {"hub.mode": "subscribe", "hub.challenge": challenge, "hub.verify_token": token}
    if variant == "valid":
        return params, 200, challenge
    if variant == "wrong_token":
        params["hub.verify_token"] = (
            token[::-1] if token[::-1] != token else token + "x"
        ) or "wrong"
    elif variant == "missing_token":
        del params["hub.verify_token"]
    elif variant == "missing_mode":
        del params["hub.mode"]
    elif variant == "other_mode":
        params["hub.mode"] = "unsubscribe"
    # Meta's sample answers res.sendStatus(403) to anything else; no body is required.
    return params, 403, None


def judge(
    variant: str, url: str, status: int, body: str, expected_status: int, expected_body: str | None
) -> HandshakeResult:
    """The result of one handshake answer; ``ok`` tells whether Meta would be satisfied."""
    return HandshakeResult(variant, url, status, body, expected_status, expected_body)
