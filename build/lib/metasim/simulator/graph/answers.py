"""Success answers shaped like Meta's, with realistic unique ids (wamid, mid) (§g)."""

from __future__ import annotations

import base64
import itertools
import random
import re
from typing import Any

_NON_DIGITS = re.compile(r"\D")


class IdMaker:
    """Message ids as Meta makes them; a counter inside guarantees uniqueness per fake."""

    def __init__(self, seed: int | None = 0) -> None:
        self._rng = random.Random(seed)
        self._counter = itertools.count(1)

    def wamid(self, wa_id: str) -> str:
        """``wamid.`` + base64 of Meta's layout: the recipient's number, then an opaque hex id.

        Real wamids decode to ``1c 18 <len> <wa_id> 15 02 00 11 18 12 <18 hex chars> 00``.
        """
        opaque = f"{self._rng.getrandbits(40):010X}{next(self._counter):08X}"
        number = wa_id.encode("ascii")[:60]
        raw = b"\x1c\x18" + bytes([len(number)]) + number + b"\x15\x02\x00\x11\x18\x12"
        return "wamid." + base64.b64encode(raw + opaque.encode("ascii") + b"\x00").decode("ascii")

    def mid(self) -> str:
        """A Messenger / Instagram message id: ``m_`` + url-safe base64."""
        raw = self._rng.randbytes(52) + next(self._counter).to_bytes(8, "big")
        return "m_" + base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def wa_id_of(to: str) -> str:
    """The ``wa_id`` Meta answers for a ``to`` value: its digits (no ``+``, spaces, dashes)."""
    return _NON_DIGITS.sub("", to)


def whatsapp_sent(body: dict[str, Any], wamid: str, *, template: bool) -> dict[str, Any]:
    """``{messaging_product, contacts:[{input, wa_id}], messages:[{id, message_status?}]}``.

    ``message_status`` appears for template sends (⚠ docs/meta-contract.md §g: present for templates,
    may be absent otherwise). A BSUID recipient is echoed as ``user_id`` (⚠ §k, pywa 4.x).
    """
    if "to" in body:
        contact = {"input": body["to"], "wa_id": wa_id_of(body["to"])}
    else:
        contact = {"input": body["recipient"], "user_id": body["recipient"]}
    message: dict[str, Any] = {"id": wamid}
    if template:
        message["message_status"] = "accepted"
    return {"messaging_product": "whatsapp", "contacts": [contact], "messages": [message]}


def page_sent(recipient_id: str, mid: str | None) -> dict[str, Any]:
    """``{recipient_id, message_id}``; a sender action answers ``recipient_id`` only."""
    answer = {"recipient_id": recipient_id}
    if mid is not None:
        answer["message_id"] = mid
    return answer


SUCCESS: dict[str, Any] = {"success": True}
