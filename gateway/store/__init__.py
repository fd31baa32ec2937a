"""Durable state of the gateway: inbox, dedupe, outbox, dead-letter queue and quarantine."""
