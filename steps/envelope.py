"""Envelope steps: the canonical envelope the gateway built and sealed, read through its admin API."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pytest_bdd import given, parsers, then

from metasim.steps.poll import eventually
from metasim.steps.samples import first
from metasim.steps.world import World


def _envelope(world: World) -> dict[str, Any]:
    """The latest canonical envelope for the sample's first message (the worker runs after ACK)."""
    msg_id = first(world.require_payload()).msg_id
    answer = eventually(
        lambda: world.target.admin("GET", "/envelopes", params={"msg_id": msg_id}),
        lambda r: r.status_code == 200 and r.json().get("count", 0) >= 1,
    )
    assert answer.status_code == 200, f"GET /envelopes answered {answer.status_code}: {answer.text}"
    found = answer.json().get("envelopes", [])
    assert found, f"the gateway built no canonical envelope for message {msg_id}"
    envelope = found[-1].get("envelope") if isinstance(found[-1], dict) else None
    assert isinstance(envelope, dict), (
        f"GET /envelopes gave no envelope object for message {msg_id}: {found[-1]!r}"
    )
    return envelope


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@then(parsers.parse('the canonical envelope timestamp is "{iso}"'))
def envelope_timestamp(world: World, iso: str) -> None:
    """The envelope's timestamp is ISO 8601 UTC ("Z") and names the same instant as ``iso``."""
    stamp = _envelope(world)["timestamp"]
    assert isinstance(stamp, str) and stamp.endswith("Z"), f"not ISO 8601 UTC with Z: {stamp!r}"
    assert _instant(stamp) == _instant(iso), f"envelope timestamp {stamp}, expected {iso}"


@then("the canonical envelope has:")
def envelope_fields(world: World, datatable: list[list[str]]) -> None:
    """Each | field | value | row holds in the envelope (timestamps compared as instants)."""
    envelope = _envelope(world)
    for field, want in datatable[1:]:
        assert field in envelope, f"the envelope has no field {field!r}: {sorted(envelope)}"
        got = envelope[field]
        if field == "timestamp":
            assert _instant(got) == _instant(want), f"timestamp {got}, expected {want}"
        else:
            assert str(got) == want, f"envelope {field} is {got!r}, expected {want!r}"


@given("the gateway tampers with the next sealed envelope")
def arm_tamper_probe(world: World) -> None:
    """Arm the gateway's test probe: the next envelope is changed after its seal (not in prod)."""
    answer = world.target.admin("POST", "/probes/tamper-seal")
    assert answer.status_code == 200, (
        f"the tamper probe answered {answer.status_code}: {answer.text}"
    )


@then(parsers.parse('the gateway quarantines the sample with reason "{reason}"'))
def quarantined_with(world: World, reason: str) -> None:
    """The admin API's quarantine lists the sample's message with that reason."""
    msg_id = first(world.require_payload()).msg_id

    def mine(answer: Any) -> list[dict[str, Any]]:
        items = answer.json().get("items", []) if answer.status_code == 200 else []
        return [i for i in items if msg_id in json.dumps(i.get("detail", {}))]

    answer = eventually(lambda: world.target.admin("GET", "/quarantine"), lambda r: bool(mine(r)))
    found = mine(answer)
    assert found, f"message {msg_id} is not in the quarantine: {answer.text[:500]}"
    reasons = [i.get("reason") for i in found]
    assert reason in reasons, f"message {msg_id} is quarantined for {reasons}, expected {reason!r}"
