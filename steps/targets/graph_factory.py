"""Build the fake Graph API for a target: its tenants' tokens granted, callbacks wired back."""

from __future__ import annotations

from typing import Any

from simulator.graph.callbacks import CallbackSettings
from simulator.graph.config import GraphConfig
from simulator.graph.tokens import TokenGrant
from steps.targets.config import TargetConfig


def grants(config: TargetConfig) -> list[TokenGrant]:
    """One grant per tenant id and channel for every tenant whose token the target file gives."""
    out: list[TokenGrant] = []
    for tenant in config.tenants.values():
        if not tenant.token:
            continue
        out += [
            TokenGrant(tenant.phone_number_id, "wa", tenant.token),
            TokenGrant(tenant.page_id, "msg", tenant.token),
            TokenGrant(tenant.ig_account_id, "ig", tenant.token),
        ]
    return out


def callback_path(config: TargetConfig) -> str | None:
    """The webhook path with ``{channel}`` in place of wa / ig / msg, None if they differ."""
    template = config.webhooks["wa"].replace("/wa", "/{channel}")
    same = all(template.replace("{channel}", ch) == config.webhooks[ch] for ch in config.webhooks)
    return template if same and "{channel}" in template else None


def make_graph(config: TargetConfig, *, callback_to: Any = None) -> Any:
    """A fresh fake Graph API app (simulator.graph.create_graph_app) for ``config``.

    ``callback_to`` is the gateway's ASGI app (in-process) or base URL (real process): status
    webhooks (sent / delivered / read) go back there, signed with the target's app secret, so
    the closed loop of T2.06 runs in every scenario.
    """
    from simulator.graph import create_graph_app

    path = callback_path(config)
    callbacks = CallbackSettings()
    if callback_to is not None and path is not None:
        if isinstance(callback_to, str) and path.startswith("http"):
            callback_to, path = path, ""
        callbacks = CallbackSettings(to=callback_to, secret=config.app_secret, path=path)
    graph_config = GraphConfig(grants=grants(config), strict=True, seed=7, callbacks=callbacks)
    return create_graph_app(graph_config)
