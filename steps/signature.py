"""Signature steps: the gateway's signature mode and deliveries signed right or wrong (T3, P0-05)."""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from steps.vocabulary import SIGNATURE, SIGNATURE_MODE
from steps.world import World

# Refusals a correct verifier may answer; 422 (pywa under FastAPI) or 200 are bugs (§l).
REJECTIONS = (401, 403)
MODE_VAR = "META_SIGNATURE_REQUIRED"


@given(parsers.parse('the gateway runs with signature mode "{mode}"'))
def signature_mode(world: World, mode: str) -> None:
    """Restart the gateway (if needed) with META_SIGNATURE_REQUIRED set to off, warn or enforce."""
    world.target.configure({MODE_VAR: SIGNATURE_MODE(mode)})


@given("the gateway runs without a signature mode set")
def no_signature_mode(world: World) -> None:
    """Restart the gateway with META_SIGNATURE_REQUIRED unset, so its default applies."""
    world.target.configure({MODE_VAR: None})


@when(parsers.parse("the sample is delivered with a {signature} signature"))
def deliver_signed(world: World, signature: str) -> None:
    """Deliver the sample signed one way: valid, missing, wrong secret, tampered, uppercase hex ..."""
    assert world.channel is not None
    variant = SIGNATURE(signature)
    payload = world.require_payload()
    if variant == "valid":
        record = world.target.deliver(payload, world.channel)
    elif variant == "legacy_sha1":
        record = world.target.deliver(payload, world.channel, legacy_sha1=True)
    else:
        record = world.target.deliver(payload, world.channel, defect=variant)
    world.records.append(record)


@then("the gateway rejects the delivery")
def rejected(world: World) -> None:
    """The last delivery was refused with 401 or 403 (never 200, never 422)."""
    got = world.last.final
    assert got.status in REJECTIONS, f"expected 401 or 403, got {got.describe()}"


@then(parsers.parse("the gateway logs a startup warning about the signature mode"))
def startup_warning(world: World) -> None:
    """A WARNING line naming META_SIGNATURE_REQUIRED was logged when the gateway started."""
    lines = world.target.startup_log_lines()
    hits = [ln for ln in lines if _is_signature_warning(ln)]
    assert hits, f"no WARNING line mentions {MODE_VAR}; {len(lines)} lines read since start"


@then("the gateway logs no startup warning about the signature mode")
def no_startup_warning(world: World) -> None:
    """No WARNING line about META_SIGNATURE_REQUIRED was logged at start."""
    hits = [ln for ln in world.target.startup_log_lines() if _is_signature_warning(ln)]
    assert not hits, f"unexpected signature-mode warning: {hits[0]}"


def _is_signature_warning(line: dict[str, object]) -> bool:
    text = str(line).lower()
    level = str(line.get("level", "")).upper()
    return level.startswith("WARN") and ("meta_signature_required" in text or "signature" in text)
