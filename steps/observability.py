"""Observability steps: JSON log lines, stage order, secrets, Prometheus metrics (T4, T11, T12)."""
