"""The gateway's tenants file, written by the harness from the target file: ids written once.

``{tenants_file}`` in a target's start env or command is the path of a JSON file the harness
writes before starting the gateway, from the target's ``[tenants.*]`` tables. Its format is
``payloads/schemas/tenants-file.schema.json`` (the reference gateway's clients file): one
client per tenant, owning its WhatsApp number, Page and Instagram account, with its Graph
token, the token's expiry and its reply rule. The ``unknown`` tenant is left out on purpose:
no client owns its ids.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from metasim.steps.targets.config import TargetConfig, TenantIds

UNOWNED = "unknown"
FILE_NAME = "tenants.json"


def client(tenant: TenantIds) -> dict[str, Any]:
    """One tenant as a client of the tenants file."""
    entry: dict[str, Any] = {
        "client_id": tenant.name,
        "name": f"{tenant.name} tenant of the acceptance suite",
        "channels": {
            "wa": [tenant.phone_number_id],
            "ig": [tenant.ig_account_id],
            "msg": [tenant.page_id],
        },
        "token": tenant.token,
        "reply_rule": (
            {"kind": "fixed", "text": tenant.reply} if tenant.reply else {"kind": "echo"}
        ),
    }
    if tenant.token_expires_at is not None:
        expires = datetime.fromtimestamp(tenant.token_expires_at, UTC)
        entry["token_expires_at"] = expires.isoformat().replace("+00:00", "Z")
    if tenant.api_key:
        entry["api_key"] = tenant.api_key
    return entry


def document(config: TargetConfig) -> dict[str, Any]:
    """The whole file: every tenant with a token, the unowned one left out."""
    tenants = [t for name, t in config.tenants.items() if name != UNOWNED and t.token]
    return {"clients": [client(t) for t in tenants]}


def write(config: TargetConfig, folder: Path) -> Path:
    """Write the tenants file into ``folder``; returns its path."""
    path = folder / FILE_NAME
    path.write_text(json.dumps(document(config), indent=2, ensure_ascii=False), encoding="utf-8")
    return path
