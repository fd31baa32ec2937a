"""Structured JSON logs and Prometheus metrics of the gateway."""
