"""Stage 12, by name only: the OutboxWorker (gateway/outbound/worker.py) sends due items and
logs one ``send`` line per attempt."""

NAME = "send"
