"""The fake Graph API as the suite sees it: calls since a mark, fault injection by name."""

from __future__ import annotations

from typing import Any

from simulator.graph.recorder import RecordedCall

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
    """Wraps the fake Graph API app (simulator.graph) for the steps."""

    def __init__(self, app: Any, base_url: str, version: str) -> None:
        self.app = app
        self.base_url = base_url.rstrip("/")
        self.version = version
        self._mark = 0

    @property
    def url_with_version(self) -> str:
        """The Graph base URL the gateway is configured with (``.../v25.0``)."""
        return f"{self.base_url}/{self.version}"

    @property
    def asgi(self) -> Any:
        """The ASGI app (in-process targets route the gateway's client to it)."""
        return self.app.asgi

    def mark(self) -> None:
        """Start a scenario: later queries only see calls made after this point."""
        calls = list(self.app.recorder)
        self._mark = calls[-1].seq if calls else 0
        self.app.faults.clear()

    def calls(self, **criteria: Any) -> list[RecordedCall]:
        """Calls since the mark matching ``criteria`` (simulator.graph.recorder.CRITERIA)."""
        return [c for c in self.app.recorder.calls(**criteria) if c.seq > self._mark]

    def sends(self, **criteria: Any) -> list[RecordedCall]:
        """Message sends since the mark (not media look-ups or mark-as-read calls)."""
        return self.calls(kind="send", **criteria)

    def answered(self, **criteria: Any) -> list[RecordedCall]:
        """Sends since the mark the fake accepted (2xx)."""
        return [c for c in self.sends(**criteria) if c.status is not None and c.status < 300]

    def fail(self, fault: str, *, times: int | None, channel: str | None = None) -> None:
        """Answer the next ``times`` sends (None: every send) with the Graph error ``fault``."""
        criteria: dict[str, Any] = {"kind": "send"}
        if channel:
            criteria["channel"] = channel
        self.app.faults.error(FAULT_CODES[fault], times=times, **criteria)

    def fail_http(self, status: int, *, times: int | None) -> None:
        """Answer the next ``times`` sends with a bare HTML 5xx (a proxy in front of Graph)."""
        self.app.faults.http(status, times=times, kind="send")
