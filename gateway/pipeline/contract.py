"""Stage 4: the canonical envelope is valid against payloads/schemas/envelope.schema.json."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from gateway.pipeline.base import Job, Stop

NAME = "contract"
SCHEMA = Path(__file__).resolve().parents[2] / "payloads" / "schemas" / "envelope.schema.json"


@cache
def validator() -> Draft202012Validator:
    """The envelope schema, compiled once (the gateway reads the file, never simulator/)."""
    return Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))


def problems(envelope: dict[str, Any]) -> list[str]:
    """Every schema violation as ``$.path: message``, sorted by path."""
    found = sorted(
        validator().iter_errors(envelope), key=lambda e: [str(p) for p in e.absolute_path]
    )
    return [
        "$"
        + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e.absolute_path)
        + f": {e.message}"
        for e in found
    ]


async def run(job: Job) -> dict[str, Any]:
    """Invalid -> quarantined and counted (ACKed already, so it must not be lost)."""
    errors = problems(job.envelope)
    if errors:
        raise Stop("quarantined", "contract-invalid", quarantine=True, errors=errors[:10])
    if not job.update.processable:
        # deleted / edited / system / mention / standby / reaction removed: valid, logged, no reply
        raise Stop("ignored", job.update.kind)
    return {"type": job.envelope["type"]}
