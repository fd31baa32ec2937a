"""Wires the stage objects from the gateway's shared parts, in the order of ``pipeline``."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, TypeAlias

from metasim.gateway.pipeline import INGRESS, PROCESS
from metasim.gateway.pipeline.ack import Ack
from metasim.gateway.pipeline.apply_auth import ApplyAuth
from metasim.gateway.pipeline.base import Ingress, Job, Reject, Stage
from metasim.gateway.pipeline.contract import Contract
from metasim.gateway.pipeline.core import Core
from metasim.gateway.pipeline.dedupe import Dedupe
from metasim.gateway.pipeline.lanes import IngressLane, ProcessLane
from metasim.gateway.pipeline.outbox import Outbox
from metasim.gateway.pipeline.parse import Parse
from metasim.gateway.pipeline.quarantine import Quarantine
from metasim.gateway.pipeline.resolve_client import ResolveClient
from metasim.gateway.pipeline.runner import Runner
from metasim.gateway.pipeline.seal import Seal
from metasim.gateway.pipeline.signature import Signature
from metasim.gateway.pipeline.token_ok import TokenOk

if TYPE_CHECKING:
    from metasim.gateway.runtime import Runtime

IngressRunner: TypeAlias = Runner[Ingress, Reject | None]
ProcessRunner: TypeAlias = Runner[Job, str]


def ingress_runner(rt: Runtime) -> IngressRunner:
    """parse -> signature -> ack for one POST: the Reject to answer with, or None for 200."""
    s = rt.settings
    stages: dict[str, Stage[Ingress]] = {
        "parse": Parse(),
        "signature": Signature(s.signature_mode, s.app_secret, s.app_secret_previous, rt.metrics),
        "ack": Ack(rt.store, rt.metrics, rt.wake_inbox),
    }
    return Runner([stages[name] for name in INGRESS], IngressLane(rt.metrics))


def process_runner(rt: Runtime) -> ProcessRunner:
    """contract -> ... -> outbox for one update: the outcome inbound_total counts."""
    s = rt.settings
    # GATEWAY_SEAL_KEY, or a fresh random key: envelopes are sealed and checked inside this
    # one runner, so a per-process key is enough in dev
    key = s.seal_key.encode("utf-8") if s.seal_key else os.urandom(32)
    tamper = rt.probes.tamper if s.env != "prod" else None
    stages: dict[str, Stage[Job]] = {
        "contract": Contract(rt.probes.envelopes, rt.clock),
        "resolve_client": ResolveClient(rt.tenants),
        "apply_auth": ApplyAuth(s.send_url),
        "seal": Seal(key, tamper),
        "token_ok": TokenOk(rt.clock),
        "dedupe": Dedupe(rt.store, s.dedupe_window_seconds),
        "core": Core(rt.graph, key, rt.metrics),
        "outbox": Outbox(rt.store, rt.metrics, rt.clock, rt.wake_outbox),
    }
    lane = ProcessLane(rt.metrics, Quarantine(rt.store, rt.clock), key)
    return Runner([stages[name] for name in PROCESS], lane)
