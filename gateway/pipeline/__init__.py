"""The ordered stages every channel's updates go through (P0-06); only the parser differs.

Reordering the pipeline is a one-line diff here; ``pipeline.build`` constructs the stage
objects in this order, each with only what it needs, and hands them to one ``Runner``.
Sending is not a stage: the outbox worker sends what the ``outbox`` stage queued.
"""

from __future__ import annotations

# run by the webhook route, per POST, before the 200
INGRESS: tuple[str, ...] = ("parse", "signature", "ack")
# run by the inbox worker, per update of a stored event
PROCESS: tuple[str, ...] = (
    "contract",
    "resolve_client",
    "apply_auth",
    "seal",
    "token_ok",
    "dedupe",
    "core",
    "outbox",
)
STAGE_NAMES: tuple[str, ...] = INGRESS + PROCESS
