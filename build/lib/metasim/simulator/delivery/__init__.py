"""Deliver webhooks as Meta does: signed POSTs, timeouts, retries, redelivery, disorder, handshake."""

from metasim.simulator.delivery.deliverer import Deliverer, delivery_order, reserialise
from metasim.simulator.delivery.handshake import HANDSHAKE_VARIANTS
from metasim.simulator.delivery.records import Attempt, DeliveryRecord, HandshakeResult
from metasim.simulator.delivery.schedule import (
    DEFAULT_TIMEOUTS,
    META_RETRY_DELAYS,
    RetryPolicy,
    channel_of,
)
from metasim.simulator.delivery.sync import SyncDeliverer, deliver_sync

__all__ = [
    "DEFAULT_TIMEOUTS",
    "HANDSHAKE_VARIANTS",
    "META_RETRY_DELAYS",
    "Attempt",
    "Deliverer",
    "DeliveryRecord",
    "HandshakeResult",
    "RetryPolicy",
    "SyncDeliverer",
    "channel_of",
    "deliver_sync",
    "delivery_order",
    "reserialise",
]
