"""Stage 13, by name only: the DlqScheduler (gateway/outbound/dlq_scheduler.py) replays dead
letters on the DLQ_CRON schedule and logs one ``dlq`` line per replayed item."""

NAME = "dlq"
