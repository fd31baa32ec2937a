"""The catalogue contract every named sample honours (docs/architecture.md), shared by channels."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.support.json_docs import ROOT

# the keys every catalogue sample has (docs/architecture.md, catalogue contract)
KEYS = {
    "description",
    "channel",
    "kind",
    "message_type",
    "processable",
    "dialects",
    "source",
    "payload",
}
ENVELOPE_TYPES = set(
    json.loads((ROOT / "payloads/schemas/envelope.schema.json").read_text("utf-8"))["properties"][
        "type"
    ]["enum"]
)


def check_contract(name: str, event: dict[str, Any], channel: str, obj: str) -> None:
    """One sample honours the catalogue contract: exact keys, channel, types, a full webhook body."""
    assert set(event) == KEYS, f"{name}: keys {sorted(event)}"
    assert re.fullmatch(rf"{channel}\.[a-z_]+(\.[a-z_]+)?", name), name
    assert event["channel"] == channel
    assert event["dialects"] == ["classic"]
    assert isinstance(event["processable"], bool)
    assert event["message_type"] is None or event["message_type"] in ENVELOPE_TYPES
    assert event["description"].strip() and "\n" not in event["description"]
    assert "docs/meta-contract.md" in event["source"]
    assert event["payload"]["object"] == obj and event["payload"]["entry"]
    if event["processable"]:
        assert event["message_type"] is not None, (
            f"{name}: a processable event needs an envelope type"
        )
