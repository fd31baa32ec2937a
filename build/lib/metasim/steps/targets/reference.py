"""The built-in reference targets: the bundled gateway, as a real process or in-process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
APP_SECRET = "9f3c2a7e5b1d48c6a0e4f7b2d9c1e3a5"
VERIFY_TOKEN = "metasim-acceptance-verify-7d1f"
ADMIN_TOKEN = "metasim-acceptance-admin-2b8e"
SEAL_KEY = "metasim-acceptance-seal-key-5c4a9e0b"

TENANTS: dict[str, dict[str, str]] = {
    "primary": {
        "phone_number_id": "106540352242922",
        "page_id": "112233445566778",
        "ig_account_id": "17841400000000001",
        "token": "EAAGacceptanceACME00000000000000000000000000000000",
    },
    "secondary": {
        "phone_number_id": "106540352242923",
        "page_id": "112233445566779",
        "ig_account_id": "17841400000000002",
        "token": "EAAGacceptanceGLOBEX000000000000000000000000000000",
        "reply": "Merci, un conseiller Globex vous répond sous 24 h.",
    },
    "expired": {
        "phone_number_id": "106540352242924",
        "page_id": "112233445566780",
        "ig_account_id": "17841400000000003",
        "token": "EAAGacceptanceINITECH00000000000000000000000000000",
    },
    # ids no client owns: events addressed here must be quarantined, never answered
    "unknown": {
        "phone_number_id": "106540352249999",
        "page_id": "112233445569999",
        "ig_account_id": "17841400000009999",
    },
}


SEND_URLS = ["WA_SEND_URL", "IG_SEND_URL", "MSG_SEND_URL"]
# The named settings the scenarios switch, in the reference gateway's own variables.
SETTINGS: dict[str, dict[str, Any]] = {
    "signature-enforce": {"env": {"META_SIGNATURE_REQUIRED": "enforce"}},
    "signature-warn": {"env": {"META_SIGNATURE_REQUIRED": "warn"}},
    "signature-off": {"env": {"META_SIGNATURE_REQUIRED": "off"}},
    "signature-unset": {"unset": ["META_SIGNATURE_REQUIRED"]},
    "production-without-send-urls": {
        "env": {"GATEWAY_ENV": "prod"},
        "unset": SEND_URLS,
        "names": SEND_URLS,
    },
    "production-with-mock-send-url": {
        "env": {
            "GATEWAY_ENV": "prod",
            "WA_SEND_URL": "http://mock-api:8080/send/wa",
            "IG_SEND_URL": "https://graph.facebook.com/v25.0",
            "MSG_SEND_URL": "https://graph.facebook.com/v25.0",
        },
        "names": ["WA_SEND_URL"],
    },
    "production-with-problems": {
        "env": {"GATEWAY_ENV": "prod", "META_SIGNATURE_REQUIRED": "off"},
        "unset": ["META_APP_SECRET", "WA_SEND_URL", "MSG_SEND_URL"],
        "names": ["META_APP_SECRET", "WA_SEND_URL", "MSG_SEND_URL", "META_SIGNATURE_REQUIRED"],
    },
    "dlq-replay-every-second": {"env": {"DLQ_CRON": "* * * * * *"}},
}


def gateway_env() -> dict[str, str]:
    """The reference gateway's env for the suite: compressed clocks, fake Graph, temp store.

    ``{placeholders}`` are filled by the target at start (see docs/writing-scenarios.md).
    """
    return {
        "GATEWAY_ENV": "test",
        "META_APP_SECRET": APP_SECRET,
        "META_VERIFY_TOKEN": VERIFY_TOKEN,
        "META_SIGNATURE_REQUIRED": "enforce",
        "WA_SEND_URL": "{graph_url}",
        "IG_SEND_URL": "{graph_url}",
        "MSG_SEND_URL": "{graph_url}",
        "GATEWAY_STORE": "sqlite:///{tmp}/gateway.db",
        # written by the harness from TENANTS (steps/targets/tenants_file.py): ids written once
        "GATEWAY_CLIENTS_FILE": "{tenants_file}",
        "GATEWAY_SEAL_KEY": SEAL_KEY,
        "GATEWAY_ADMIN_TOKEN": ADMIN_TOKEN,
        # compressed clocks: retries within tens of milliseconds, workers poll every 10 ms
        "OUTBOX_MAX_ATTEMPTS": "3",
        "OUTBOX_BACKOFF_BASE_SECONDS": "0.02",
        "OUTBOX_BACKOFF_MAX_SECONDS": "0.2",
        "WORKER_POLL_SECONDS": "0.01",
        # a send that times out is dead-lettered as ambiguous (it may have reached Graph): the
        # fake Graph API, one Python thread, answers a 1000-reply burst slowly but surely
        "GRAPH_TIMEOUT_SECONDS": "10",
        "LOG_FILE": "{tmp}/gateway.log",
        "BACKUP_DIR": "{tmp}/backups",
        "GATEWAY_HOST": "127.0.0.1",
        "GATEWAY_PORT": "{port}",
    }


def description(name: str = "reference") -> dict[str, Any]:
    """The target description of the bundled gateway (same schema as a target file)."""
    return {
        "name": name,
        "base_url": "http://127.0.0.1:{port}",
        "webhooks": {"wa": "/webhook/wa", "ig": "/webhook/ig", "msg": "/webhook/msg"},
        "secrets": {
            "app_secret": APP_SECRET,
            "verify_token": VERIFY_TOKEN,
            "admin_token": ADMIN_TOKEN,
        },
        "tenants": TENANTS,
        "graph": {"host": "127.0.0.1", "port": 0, "version": "v25.0"},
        "endpoints": {
            "health": "/health",
            "ready": "/ready",
            "metrics": "/metrics",
            "admin": "/admin",
        },
        "logs": {"file": "{tmp}/gateway.log"},
        "start": {
            "command": ["{python}", "-m", "metasim.gateway.cli", "serve"],
            "cwd": str(ROOT),
            "env": gateway_env(),
            "ready": {"kind": "http", "path": "/health"},
            "timeout": 30,
        },
        "preflight": {"command": ["{python}", "-m", "metasim.gateway.cli", "preflight"]},
        "backup": {
            "command": ["{python}", "-m", "metasim.gateway.cli", "backup"],
            "dir": "{tmp}/backups",
            "name": "gateway-{stamp}.sqlite",
        },
        "settings": SETTINGS,
        # the bundled gateway is held to its own policy too
        "levels": ["meta", "backlog", "reference"],
        "capabilities": ["status-callbacks"],
        "settle_seconds": 0.3,
    }
