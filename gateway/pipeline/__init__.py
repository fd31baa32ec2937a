"""The ordered stages every channel's updates go through (P0-06); only the parser differs."""

from __future__ import annotations

from types import ModuleType

from metasim.gateway.pipeline import (
    ack,
    apply_auth,
    contract,
    core,
    dedupe,
    dlq,
    outbox,
    parse,
    resolve_client,
    seal,
    send,
    signature,
    token_ok,
)

# The one ordered list; reordering the pipeline is a one-line diff here.
STAGES: tuple[ModuleType, ...] = (
    parse,
    signature,
    ack,
    contract,
    resolve_client,
    apply_auth,
    seal,
    token_ok,
    dedupe,
    core,
    outbox,
    send,
    dlq,
)
STAGE_NAMES: tuple[str, ...] = tuple(stage.NAME for stage in STAGES)

_ACK = STAGES.index(ack)
_OUTBOX = STAGES.index(outbox)
INGRESS = STAGES[: _ACK + 1]  # run by the webhook route, per POST, before the 200
PROCESS = STAGES[_ACK + 1 : _OUTBOX + 1]  # run by the inbox worker, per update
# send and dlq name the delivery steps in the logs; the outbox worker and the DLQ scheduler
# (gateway/outbound/) do that work, not these modules
