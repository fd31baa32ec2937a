"""The fake Graph API as the suite sees it: calls since a mark, fault injection by name."""

from __future__ import annotations

from typing import Any

from metasim.simulator.graph.recorder import RecordedCall
from metasim.steps.traffic import Ledger

# Graph fault phrase (steps.vocabulary.GRAPH_FAULT) -> catalogue error code (payloads/graph-errors.json)
FAULT_CODES: dict[str, str] = {
    "temporary": "2",
    "rate_limit": "4",
    "throughput": "130429",
    "expired_token": "190",
    "invalid_parameter": "100",
    "undeliverable": "131026",
    "server_error": "131000",
    "reengagement": "131047",
}
RETRYABLE = frozenset({"temporary", "rate_limit", "throughput", "server_error"})


class FakeGraph:
    """Wraps the fake Graph API app (metasim.simulator.graph) for the steps."""

    def __init__(self, app: Any, base_url: str, version: str) -> None:
        self.app = app
        self.base_url = base_url.rstrip("/")
        self.version = version
        self._mark = 0
        self.ledger = Ledger(app)

    @property
    def url_with_version(self) -> str:
        """The Graph base URL the gateway is configured with (``.../v25.0``)."""
        return f"{self.base_url}/{self.version}"

    @property
    def asgi(self) -> Any:
        """The ASGI app (in-process targets route the gateway's client to it)."""
        return self.app.asgi

    def mark(self) -> None:
        """Start a scenario: later :meth:`calls` queries only see calls made after this point.

        Faults are not cleared here: each is scoped to the users of the scenario that injected
        it (:meth:`fail`), so it can neither leak into another scenario nor vanish before that
        scenario's own late retries.
        """
        calls = list(self.app.recorder)
        self._mark = calls[-1].seq if calls else 0

    def calls(self, **criteria: Any) -> list[RecordedCall]:
        """Calls since the mark matching ``criteria`` (metasim.simulator.graph.recorder.CRITERIA)."""
        return [c for c in self.app.recorder.calls(**criteria) if c.seq > self._mark]

    def sends(self, **criteria: Any) -> list[RecordedCall]:
        """Message sends since the mark (not media look-ups or mark-as-read calls)."""
        return self.calls(kind="send", **criteria)

    def answered(self, **criteria: Any) -> list[RecordedCall]:
        """Sends since the mark the fake accepted (2xx)."""
        return [c for c in self.sends(**criteria) if c.status is not None and c.status < 300]

    def fail(
        self,
        fault: str,
        *,
        times: int | None,
        users: set[str],
        retry_after: int | None = None,
    ) -> str:
        """Answer the next ``times`` sends to ``users`` (None: every send) with Graph error
        ``fault``; returns the fault's id. ``users`` is the scenario's live set: ids claimed
        after this call are covered too."""
        options: dict[str, Any] = {"kind": "send", "recipient": users}
        if retry_after is not None:
            options["retry_after"] = retry_after
        return self.app.faults.error(FAULT_CODES[fault], times=times, **options).id

    def fail_code(self, code: str, *, times: int | None, users: set[str]) -> str:
        """Answer the next ``times`` sends to ``users`` with catalogue Graph error ``code``."""
        return self.app.faults.error(code, times=times, kind="send", recipient=users).id

    def fail_http(self, status: int, *, times: int | None, users: set[str]) -> str:
        """Answer the next ``times`` sends to ``users`` with a bare HTML 5xx (a proxy)."""
        return self.app.faults.http(status, times=times, kind="send", recipient=users).id

    def recover(self, fault_ids: list[str]) -> None:
        """Remove these faults (a scenario's own): later sends are answered normally."""
        for fault_id in fault_ids:
            self.app.faults.remove(fault_id)
