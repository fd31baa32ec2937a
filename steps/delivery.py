"""Delivery steps: build a sample from the catalogue and deliver it to the gateway as Meta does."""

from __future__ import annotations

import contextlib
import json

from pytest_bdd import given, parsers, then, when

from metasim.reports import evidence
from metasim.simulator import catalogue
from metasim.simulator.overrides import apply_overrides
from metasim.simulator.signing_defects import signed
from metasim.steps.samples import TEXT_PATH, TIMESTAMP_PATH
from metasim.steps.vocabulary import CHANNEL, DIALECT, REDELIVERY, TENANT
from metasim.steps.world import World


def _build(world: World, event: str, overrides: dict[str, object] | None = None) -> None:
    entry = catalogue.get(event)  # an unknown name lists the closest catalogue names
    world.target.require_channel(entry.channel)
    world.ctx.tenant = world.build_tenant(world.tenant)
    world.event, world.channel = event, entry.channel
    world.payload = catalogue.build(event, world.ctx, dialect=world.dialect, overrides=overrides)
    world.claim(world.payload)
    evidence.exercised(event_name=event, dialect=world.dialect, channel=entry.channel)


@given(parsers.parse('a "{event}" sample'))
def a_sample(world: World, event: str) -> None:
    """Build a fresh catalogue sample (ids, sender, time refreshed) for the primary tenant."""
    _build(world, event)


@given(parsers.parse('a "{event}" sample in the {dialect} dialect'))
def a_sample_in_dialect(world: World, event: str, dialect: str) -> None:
    """Build a sample in a WhatsApp dialect: classic (wa_id) or BSUID (business-scoped user id)."""
    world.dialect = DIALECT(dialect)
    _build(world, event)


@given(parsers.parse('a "{event}" sample addressed to the {tenant} tenant'))
@when(parsers.parse('a "{event}" sample addressed to the {tenant} tenant'))
def a_sample_for_tenant(world: World, event: str, tenant: str) -> None:
    """Build a sample addressed to another configured tenant (secondary, expired, unknown)."""
    world.tenant = TENANT(tenant)
    _build(world, event)


@given(parsers.parse('a "{event}" sample with:'))
@when(parsers.parse('a "{event}" sample with:'))
def a_sample_with(world: World, event: str, datatable: list[list[str]]) -> None:
    """Build a sample, then set fields: a table of path | value (JSON values allowed)."""
    _build(world, event, overrides=_table_overrides(datatable))


@given(parsers.parse('the sample text is "{text}"'))
def sample_text(world: World, text: str) -> None:
    """Replace the text of the sample's first message."""
    payload = world.require_payload()
    world.payload = apply_overrides(payload, {TEXT_PATH[world.channel or "wa"]: text})
    world.claim(world.payload)


@given(parsers.parse('the sample has no "{path}"'))
def sample_without(world: World, path: str) -> None:
    """Remove one field of the sample (a dotted path), as older or leaner Meta payloads omit it."""
    node: object = world.require_payload()
    *parents, leaf = path.split(".")
    for part in parents:
        node = (
            node[int(part)]
            if isinstance(node, list) and part.isdigit()
            else (node.get(part) if isinstance(node, dict) else None)
        )
    if not isinstance(node, dict) or leaf not in node:
        raise AssertionError(f"the sample has no {path!r} to remove: check the path")
    del node[leaf]


@given(parsers.parse("the sample timestamp is {value}"))
def sample_timestamp(world: World, value: str) -> None:
    """Set the first message's timestamp to a JSON value: 1767225600, "1767225600", 1767225600000."""
    payload = world.require_payload()
    world.payload = apply_overrides(
        payload, {TIMESTAMP_PATH[world.channel or "wa"]: json.loads(value)}
    )


@when("the sample is delivered")
def deliver(world: World) -> None:
    """Sign the sample as Meta does and POST it to the gateway's webhook for its channel."""
    assert world.channel is not None
    world.delivered(world.target.deliver(world.require_payload(), world.channel))


@when(parsers.parse("the sample is delivered again with {mode}"))
def redeliver(world: World, mode: str) -> None:
    """Deliver the last delivery again: "the same bytes" or "re-serialised bytes" (new layout)."""
    world.delivered(world.target.redeliver(world.last, REDELIVERY(mode)))


@when(parsers.parse("the sample is delivered {copies:d} times at once"))
def deliver_concurrently(world: World, copies: int) -> None:
    """POST identical signed copies of the sample concurrently (Meta's duplicate fan-out)."""
    assert world.channel is not None
    world.delivered(
        *world.target.deliver_concurrently(world.require_payload(), world.channel, copies)
    )


@when(parsers.parse("these bytes are delivered to the {channel} webhook:"))
def deliver_raw(world: World, channel: str, docstring: str) -> None:
    """POST exactly these bytes, validly signed (for malformed or hand-written bodies)."""
    world.channel = CHANNEL(channel)
    # a hand-written body that names users makes them this scenario's; a malformed one, nobody
    with contextlib.suppress(ValueError):
        world.claim(json.loads(docstring))
    request = signed(None, world.target.config.app_secret, body=docstring.encode("utf-8"))
    world.delivered(world.target.send_raw(request, world.channel))


@when(parsers.parse("a validly signed body of {size:d} MiB is delivered to the {channel} webhook"))
def deliver_oversized(world: World, size: int, channel: str) -> None:
    """POST a signed JSON body of the given size (WhatsApp's documented maximum is 3 MB)."""
    world.channel = CHANNEL(channel)
    padding = "x" * (size * 1024 * 1024)
    body = json.dumps({"object": "whatsapp_business_account", "entry": [], "pad": padding})
    request = signed(None, world.target.config.app_secret, body=body.encode("ascii"))
    world.delivered(world.target.send_raw(request, world.channel))


@then(parsers.parse("the gateway acknowledges with {status:d}"))
def acknowledges(world: World, status: int) -> None:
    """The last delivery got this HTTP status (Meta counts only 200 as acknowledged)."""
    got = world.last.final
    assert got.status == status, f"expected HTTP {status}, got {got.describe()}"


@then(parsers.parse("every delivery is acknowledged with {status:d}"))
def every_acknowledged(world: World, status: int) -> None:
    """All deliveries of the scenario got this HTTP status."""
    wrong = [r.final.describe() for r in world.records if r.final.status != status]
    assert not wrong, f"expected HTTP {status} for every delivery, got: {wrong}"


def _table_overrides(table: list[list[str]]) -> dict[str, object]:
    header, *rows = table
    if [h.strip().lower() for h in header] != ["path", "value"]:
        raise AssertionError(f"the table needs the header | path | value |, got {header}")
    out: dict[str, object] = {}
    for path, raw in rows:
        try:
            out[path] = json.loads(raw)
        except ValueError:
            out[path] = raw  # a bare word is a string, so QA need not quote plain text
    return out
