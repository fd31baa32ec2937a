"""What stages share: the Stage signature, the two contexts they work on, and how they stop."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from metasim.gateway.parsers.base import Update

if TYPE_CHECKING:
    from metasim.gateway.store.base import InboxEvent
    from metasim.gateway.tenants import Client

# the fields a stage adds to its JSON log line ("level" may pick the line's level)
Fields = dict[str, Any]
C = TypeVar("C", contravariant=True)


class Stage(Protocol[C]):
    """One step of the pipeline: an object built with only what it needs, called per context.

    It returns the fields of its log line, or raises ``Reject`` (before the ACK) / ``Stop``
    (after it) to end the context's way through the pipeline.
    """

    name: str

    async def __call__(self, ctx: C, /) -> Fields: ...


class Reject(Exception):
    """An ingress stage refuses the POST: HTTP status + a JSON error saying what and what to do."""

    def __init__(self, status: int, code: str, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.hint = hint

    def body(self) -> dict[str, Any]:
        error = {"code": self.code, "message": self.message}
        if self.hint:
            error["hint"] = self.hint
        return {"error": error}


class Stop(Exception):
    """A processing stage ends this update's way through the pipeline.

    ``outcome`` is what inbound_total counts (quarantined, duplicate, ...); ``quarantine``
    keeps the update so nothing acknowledged is ever lost silently.
    """

    def __init__(
        self, outcome: str, reason: str, *, quarantine: bool = False, **detail: Any
    ) -> None:
        super().__init__(reason)
        self.outcome = outcome
        self.reason = reason
        self.quarantine = quarantine
        self.detail = detail


@dataclass
class Ingress:
    """One webhook POST on its way to the ACK (parse -> signature -> ack)."""

    channel: str | None  # None on /webhook: set from the body's ``object``
    body: bytes
    headers: Mapping[str, str]
    correlation_id: str
    received_at: float


@dataclass
class Job:
    """One update of an inbox event going through the processing stages."""

    event: InboxEvent
    update: Update
    envelope: dict[str, Any]
    client: Client | None = None
    send_url_base: str | None = None
    seal: str | None = None
    reply: dict[str, Any] | None = None

    @property
    def channel(self) -> str:
        return self.event.channel

    @property
    def msg_id(self) -> str | None:
        got = self.envelope.get("msg_id")
        return got if isinstance(got, str) else None

    @property
    def redelivered(self) -> bool:
        """True when this inbox event was claimed before (a worker died while processing it)."""
        return self.event.attempts > 1
