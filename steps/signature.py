"""Signature steps: the gateway's signature mode and deliveries signed right or wrong (T3, P0-05)."""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from metasim.steps.vocabulary import SIGNATURE, SIGNATURE_MODE
from metasim.steps.world import World

# Refusals a correct verifier may answer; 422 (pywa under FastAPI) or 200 are bugs.
REJECTIONS = (401, 403)


@given(parsers.parse('the gateway runs with signature mode "{mode}"'))
def signature_mode(world: World, mode: str) -> None:
    """Restart the gateway (if needed) in signature mode off, warn or enforce (its own setting)."""
    setting = world.target.setting(f"signature-{SIGNATURE_MODE(mode)}")
    world.target.configure(setting.overrides())


@given("the gateway runs without a signature mode set")
def no_signature_mode(world: World) -> None:
    """Restart the gateway with no signature mode configured, so its default applies."""
    world.target.configure(world.target.setting("signature-unset").overrides())


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
    world.delivered(record)


@then("the gateway rejects the delivery")
def rejected(world: World) -> None:
    """The last delivery was refused with 401 or 403 (never 200, never 422)."""
    got = world.last.final
    assert got.status in REJECTIONS, f"expected 401 or 403, got {got.describe()}"


@then(parsers.parse("the gateway logs a startup warning about the signature mode"))
def startup_warning(world: World) -> None:
    """A warning about the signature mode was logged or printed when the gateway started."""
    lines = world.target.startup_lines()
    hits = [ln for ln in lines if _is_signature_warning(ln)]
    assert hits, (
        f"no warning line mentions the signature mode; {len(lines)} lines read since the "
        f"gateway started: {[str(ln)[:160] for ln in lines[-5:]]}"
    )


@then("the gateway logs no startup warning about the signature mode")
def no_startup_warning(world: World) -> None:
    """No warning about the signature mode was logged or printed at start."""
    hits = [ln for ln in world.target.startup_lines() if _is_signature_warning(ln)]
    assert not hits, f"unexpected signature-mode warning: {hits[0]}"


def _is_signature_warning(line: dict[str, object]) -> bool:
    text = str(line).lower()
    if "_not_json" in line:  # captured stdout / stderr: the word warning, then the subject
        return "warn" in text and "signature" in text
    level = str(line.get("level", "")).upper()
    return level.startswith("WARN") and "signature" in text
