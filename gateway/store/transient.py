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


def is_transient(exc: BaseException) -> bool:
    """True when ``exc`` says the store is unreachable for now, so the work must be retried."""
    return isinstance(exc, TRANSIENT_STORE_ERRORS)
