"""Minimal hand-written Meta webhook bodies for tests that need one without the catalogue."""

from __future__ import annotations

from typing import Any


def wa_text_webhook(body: str = "Hello") -> dict[str, Any]:
    """A WhatsApp Cloud API text-message webhook (one entry, one change, one message), written
    from Meta's example rather than produced by the builders under test."""
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "messages": [
                                {
                                    "from": "33612345678",
                                    "id": "wamid.x",
                                    "timestamp": "1764000000",
                                    "type": "text",
                                    "text": {"body": body},
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }
