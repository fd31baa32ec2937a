"""Store errors that mean "the store is briefly unreachable": retry later, never quarantine."""

from __future__ import annotations

import sqlite3

from redis import exceptions as redis_errors

# A Redis restart or a locked SQLite file is not a fault of the update being processed:
# quarantining it would lose an ACKed message (seen in the chaos run with Redis restarts).
TRANSIENT_STORE_ERRORS: tuple[type[BaseException], ...] = (
    redis_errors.ConnectionError,
    redis_errors.TimeoutError,
    redis_errors.BusyLoadingError,
    sqlite3.OperationalError,
    ConnectionError,
)


# SQLite result codes (the primary code, low byte) that mean "not now" rather than "wrong":
# busy / locked by another connection, out of memory, read-only or I/O trouble, disk full,
# cannot open the file. SQLITE_ERROR (1: "no such table", "no such column", a syntax error)
# is a bug: retrying it forever, or answering Meta 503 for it, would never succeed.
SQLITE_TRANSIENT_CODES = frozenset({5, 6, 7, 8, 10, 13, 14, 15})


def is_transient(exc: BaseException) -> bool:
    """True when ``exc`` says the store is unreachable for now, so the work must be retried."""
    if isinstance(exc, sqlite3.OperationalError):
        code = getattr(exc, "sqlite_errorcode", None)
        # an OperationalError sqlite3 raised always has its code; one without is kept
        # transient, the side that loses nothing
        return code is None or (code & 0xFF) in SQLITE_TRANSIENT_CODES
    return isinstance(exc, TRANSIENT_STORE_ERRORS)
