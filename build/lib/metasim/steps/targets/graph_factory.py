"""Build the fake Graph API for a target: its tenants' tokens granted, callbacks wired back."""

from __future__ import annotations

from typing import Any

from metasim.simulator.graph.callbacks import CallbackSettings
from metasim.simulator.graph.config import GraphConfig
from metasim.simulator.graph.tokens import TokenGrant
from metasim.steps.targets.config import TargetConfig


def grants(config: TargetConfig) -> list[TokenGrant]:
    """One grant per tenant id and channel for every tenant whose token the target file gives."""
    out: list[TokenGrant] = []
    for tenant in config.tenants.values():
        if not tenant.token:
            continue
        expires = tenant.token_expires_at
        out += [
            TokenGrant(tenant.phone_number_id, "wa", tenant.token, expires),
            TokenGrant(tenant.page_id, "msg", tenant.token, expires),
            TokenGrant(tenant.ig_account_id, "ig", tenant.token, expires),
        ]
    return out


def make_graph(config: TargetConfig, *, callback_to: Any = None) -> Any:
    """A fresh fake Graph API app (metasim.simulator.graph.create_graph_app) for ``config``.

    ``callback_to`` is the gateway's ASGI app (in-process) or base URL (real process): unless
    the target switches them off (``callbacks = false``), status and receipt webhooks go back
    to the webhook URLs the target declares for each channel, signed with its app secret, so
    the closed loop runs in every scenario whatever the routes are called.
    """
    from metasim.simulator.graph import create_graph_app

    callbacks = CallbackSettings()
    if callback_to is not None and config.callbacks:
        callbacks = CallbackSettings(
            to=callback_to, secret=config.app_secret, paths=dict(config.webhooks)
        )
    graph_config = GraphConfig(grants=grants(config), strict=True, seed=7, callbacks=callbacks)
    return create_graph_app(graph_config)
