"""The contract stage's jsonschema-rs fast path agrees with python-jsonschema on every verdict."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from metasim.gateway.parsers import parse
from metasim.gateway.pipeline.contract import fast_validator, validator
from metasim.simulator import catalogue
from metasim.simulator.context import BuildContext

NOW = 1767264532.0


def _envelopes() -> list[tuple[str, dict[str, Any]]]:
    """Every envelope the gateway's parsers make of the whole catalogue (all three channels)."""
    out = []
    for name in catalogue.names():
        channel = name.split(".", 1)[0]
        if channel not in ("wa", "ig", "msg"):
            continue
        try:
            payload = catalogue.build(name, BuildContext.seeded(5, now=NOW))
            updates = parse(channel, payload, received_at=NOW, correlation_id="cid")
        except Exception:  # batches and oddities the parser refuses are tested elsewhere
            continue
        out += [(name, u.envelope) for u in updates if u.envelope is not None]
    return out


ENVELOPES = _envelopes()


def test_the_catalogue_gives_envelopes_to_check() -> None:
    assert len(ENVELOPES) >= 20


@pytest.mark.parametrize(("name", "envelope"), ENVELOPES, ids=[n for n, _ in ENVELOPES])
def test_both_validators_agree_on_catalogue_envelopes(name: str, envelope: dict[str, Any]) -> None:
    assert fast_validator().is_valid(envelope) == validator().is_valid(envelope)


def _mutations() -> list[tuple[str, dict[str, Any]]]:
    base = copy.deepcopy(next(env for name, env in ENVELOPES if name == "wa.text"))
    cases = {
        "missing msg_id": lambda e: e.pop("msg_id"),
        "unknown field": lambda e: e.update(leaked_raw_field=1),
        "provider not a channel": lambda e: e.update(provider="whatsapp"),
        "epoch timestamp": lambda e: e.update(timestamp="1767264532"),
        "offset timestamp": lambda e: e.update(timestamp="2026-01-01T10:48:52+02:00"),
        "month 13": lambda e: e.update(timestamp="2026-13-01T10:48:52Z"),
        "attachments not a list": lambda e: e.update(attachments={}),
        "raw_meta not an object": lambda e: e.update(raw_meta="x"),
    }
    out = []
    for label, change in cases.items():
        env = copy.deepcopy(base)
        change(env)
        out.append((label, env))
    return out


@pytest.mark.parametrize(("label", "envelope"), _mutations(), ids=[x for x, _ in _mutations()])
def test_both_validators_refuse_broken_envelopes(label: str, envelope: dict[str, Any]) -> None:
    assert not validator().is_valid(envelope), f"python-jsonschema accepts {label}"
    assert not fast_validator().is_valid(envelope), f"jsonschema-rs accepts {label}"
