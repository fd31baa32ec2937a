"""The fake Graph API: strict, recording, fault-injecting, rate-limiting, sending statuses back."""

from simulator.graph.app import CONTROL_PREFIX, GraphApp, create_graph_app
from simulator.graph.callbacks import CallbackSettings
from simulator.graph.clock import SimClock
from simulator.graph.config import DEFAULT_TOKEN, GraphConfig, default_grants
from simulator.graph.faults import Fault
from simulator.graph.limits import LimitSettings
from simulator.graph.respx_router import graph_router
from simulator.graph.tokens import TokenGrant

__all__ = [
    "CONTROL_PREFIX",
    "DEFAULT_TOKEN",
    "CallbackSettings",
    "Fault",
    "GraphApp",
    "GraphConfig",
    "LimitSettings",
    "SimClock",
    "TokenGrant",
    "create_graph_app",
    "default_grants",
    "graph_router",
]
