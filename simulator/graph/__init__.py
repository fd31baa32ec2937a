"""The fake Graph API: strict, recording, fault-injecting, rate-limiting, sending statuses back."""

from metasim.simulator.graph.app import CONTROL_PREFIX, GraphApp, create_graph_app
from metasim.simulator.graph.callbacks import CallbackSettings
from metasim.simulator.graph.clock import SimClock
from metasim.simulator.graph.config import DEFAULT_TOKEN, GraphConfig, default_grants
from metasim.simulator.graph.faults import Fault
from metasim.simulator.graph.limits import LimitSettings
from metasim.simulator.graph.respx_router import graph_router
from metasim.simulator.graph.tokens import TokenGrant

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
