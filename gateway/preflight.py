"""Production preflight (P1-05): every configuration problem, listed at once; exit 1 if any."""

from __future__ import annotations

import ipaddress
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

from metasim.gateway.settings import FAKE_GRAPH_BASE, SEND_URL_VARS, ConfigError, Settings
from metasim.gateway.tenants import ClientsFileError, Tenants

# the example clients file of the repository: its Graph token and API key are public
EXAMPLE_CLIENTS = Path(__file__).resolve().parents[1] / "examples" / "clients.json"

# Ports the simulator's fake Graph API / mock servers listen on by default.
MOCK_PORTS = frozenset({8089, urlsplit(FAKE_GRAPH_BASE).port or 8089})
MOCK_NAMES = ("mock", "fake", "wiremock", "mockserver", "stub")
LOCAL_SUFFIXES = (".local", ".localhost", ".internal", ".test", ".example", ".invalid")


def mock_reason(url: str) -> str | None:
    """Why ``url`` looks like a mock / local host rather than the real Graph API, or None."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host:
        return "has no host"
    if host == "localhost" or host.endswith(LOCAL_SUFFIXES):
        return f"host {host} is local"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    if ip is not None and (
        ip.is_loopback or ip.is_private or ip.is_unspecified or ip.is_link_local
    ):
        return f"host {host} is a loopback/private address"
    if any(word in host for word in MOCK_NAMES):
        return f"host {host} looks like a mock"
    if parts.port in MOCK_PORTS:
        return f"port {parts.port} is the fake Graph API's"
    return None


def check(settings: Settings, env: Mapping[str, str] | None = None) -> list[str]:
    """Problems of a parsed configuration (the env is only read for the clients file's tokens)."""
    problems: list[str] = []
    prod = settings.env == "prod"
    if not settings.app_secret:
        problems.append("META_APP_SECRET is not set: webhook signatures cannot be verified")
    if not settings.verify_token:
        problems.append("META_VERIFY_TOKEN is not set: Meta's subscription handshake will fail")
    if prod and settings.signature_mode == "off":
        problems.append(
            "META_SIGNATURE_REQUIRED=off in prod: set enforce (or warn while migrating)"
        )
    for var, url in zip(
        SEND_URL_VARS,
        (settings.wa_send_url, settings.ig_send_url, settings.msg_send_url),
        strict=True,
    ):
        if not url:
            problems.append(
                f"{var} is not set (REQUIRED in prod, no default), e.g. https://graph.facebook.com/v25.0"
            )
        elif prod and (reason := mock_reason(url)):
            problems.append(f"{var}={url} points at a mock in prod: {reason}")
    try:
        tenants = Tenants.load(settings.clients_file, env)
    except ClientsFileError as exc:
        problems.extend(f"GATEWAY_CLIENTS_FILE: {p}" for p in exc.problems)
    else:
        if prod:
            problems.extend(_published_secrets(settings.clients_file, tenants))
    return problems


def warnings(settings: Settings) -> list[str]:
    """Risks preflight names without failing (the gateway also logs them at every start)."""
    found: list[str] = []
    if settings.env == "prod" and settings.signature_mode == "warn":
        found.append(
            "META_SIGNATURE_REQUIRED=warn in prod: unsigned and wrongly signed webhooks are "
            "accepted and answered (only logged and counted); set enforce once "
            'signature_total{result!="valid"} stays flat'
        )
    return found


def _published_secrets(clients_file: str, tenants: Tenants) -> list[str]:
    """Problems when prod would run on the repository's example credentials."""
    if not EXAMPLE_CLIENTS.is_file():
        return []  # installed without the examples: nothing published to compare with
    if Path(clients_file).resolve() == EXAMPLE_CLIENTS:
        return [
            f"GATEWAY_CLIENTS_FILE={clients_file} is the example clients file in prod: its "
            "API key and Graph token are published in the repository; write your own"
        ]
    try:
        published = set(Tenants.load(str(EXAMPLE_CLIENTS)).secret_values())
    except ClientsFileError:
        return []
    return [
        f"GATEWAY_CLIENTS_FILE: client {c.client_id} uses an API key or Graph token published "
        "in the repository's example clients file; issue new ones"
        for c in tenants.clients
        if {c.api_key, c.graph_token} & published
    ]


def problems(env: Mapping[str, str] | None = None) -> list[str]:
    """Every problem of the configuration in ``env`` (the process env when None)."""
    src = os.environ if env is None else env
    try:
        settings = Settings.from_env(src)
    except ConfigError as exc:
        found = list(exc.problems)
        # read what can be read, so the remaining checks still run: drop the invalid vars
        bad = {p.split("=", 1)[0] for p in exc.problems}
        settings = Settings.from_env({k: v for k, v in src.items() if k not in bad})
        return found + check(settings, src)
    return check(settings, src)


def main(env: Mapping[str, str] | None = None, out: TextIO | None = None) -> int:
    """Print every problem and return 1, or print a one-line OK and return 0."""
    stream = out if out is not None else sys.stdout
    found = problems(env)
    risks = _warnings_of(env)
    if not found:
        head = f", {len(risks)} warning" + ("s" if len(risks) > 1 else "") if risks else ""
        stream.write(f"preflight: OK{head}\n")
        for w in risks:
            stream.write(f"  ! {w}\n")
        return 0
    stream.write(f"preflight: {len(found)} problem(s)\n")
    for p in found:
        stream.write(f"  - {p}\n")
    for w in risks:
        stream.write(f"  ! {w}\n")
    return 1


def _warnings_of(env: Mapping[str, str] | None) -> list[str]:
    try:
        return warnings(Settings.from_env(os.environ if env is None else env))
    except ConfigError:
        return []  # the problems already say what is wrong


if __name__ == "__main__":
    sys.exit(main())
