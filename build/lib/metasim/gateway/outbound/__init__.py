"""The send side: Graph client, request bodies, error classification, outbox worker, DLQ."""
