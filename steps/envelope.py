"""Envelope steps: read the canonical envelope the gateway built, through its admin API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pytest_bdd import parsers, then

from steps.poll import eventually
from steps.samples import first
from steps.world import World


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
    envelope: dict[str, Any] = found[-1]["envelope"]
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
