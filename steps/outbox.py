"""Outbox steps: retries, the dead-letter queue and its replay (T9, P1-06)."""
