"""Preflight lists every problem and exits 1 (P1-05, T8.12-T8.13); the shell script does too."""

from __future__ import annotations

import io
import os
import subprocess
from pathlib import Path

import pytest

from metasim.gateway import preflight
from metasim.gateway.app import build_app
from metasim.gateway.cli import main as cli_main
from metasim.gateway.observability.logs import configure_logging
from tests.gateway.conftest import Logs, make_runtime

ROOT = Path(__file__).resolve().parents[2]
GOOD_PROD = {
    "GATEWAY_ENV": "prod",
    "META_APP_SECRET": "0123456789abcdef0123456789abcdef",
    "META_VERIFY_TOKEN": "verify-token-prod",
    "META_SIGNATURE_REQUIRED": "enforce",
    "WA_SEND_URL": "https://graph.facebook.com/v25.0",
    "IG_SEND_URL": "https://graph.instagram.com/v25.0",
    "MSG_SEND_URL": "https://graph.facebook.com/v25.0",
    "GATEWAY_CLIENTS_FILE": str(ROOT / "tests" / "gateway" / "prod_clients.json"),
}
EXAMPLE_CLIENTS = str(ROOT / "examples" / "clients.json")


def _run(env: dict[str, str]) -> tuple[int, str]:
    out = io.StringIO()
    code = preflight.main(env, out)
    return code, out.getvalue()


def test_a_complete_prod_configuration_passes() -> None:
    assert _run(GOOD_PROD) == (0, "preflight: OK\n")


def test_every_problem_is_listed_at_once() -> None:
    env = {
        "GATEWAY_ENV": "prod",
        "META_SIGNATURE_REQUIRED": "off",
        "GATEWAY_CLIENTS_FILE": str(ROOT / "examples" / "clients.json"),
    }
    code, text = _run(env)
    assert code == 1
    for needle in (
        "META_APP_SECRET",
        "META_VERIFY_TOKEN",
        "META_SIGNATURE_REQUIRED=off",
        "WA_SEND_URL",
        "IG_SEND_URL",
        "MSG_SEND_URL",
        "GATEWAY_CLIENTS_FILE",  # the example file, whose keys are published
    ):
        assert needle in text, needle
    assert "preflight: 7 problem(s)" in text


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:8080/send/wa",
        "http://127.0.0.1:8089/v25.0",
        "http://127.3.4.5/v25.0",
        "http://mock-api:8080/send/wa",
        "http://graph.local/v25.0",
        "https://graph.example.com:8089/v25.0",
        "http://10.0.0.7/v25.0",
        "http://[::1]:9000/v25.0",
    ],
)
def test_a_send_url_pointing_at_a_mock_is_refused_in_prod(url: str) -> None:
    code, text = _run({**GOOD_PROD, "WA_SEND_URL": url})
    assert code == 1
    assert f"WA_SEND_URL={url}" in text
    assert "IG_SEND_URL" not in text


def test_dev_accepts_the_local_fake_graph_api_but_still_wants_the_secrets() -> None:
    env = {k: v for k, v in GOOD_PROD.items() if not k.endswith("SEND_URL")}
    env["GATEWAY_ENV"] = "dev"
    assert _run(env) == (0, "preflight: OK\n")
    code, text = _run({**env, "META_APP_SECRET": ""})
    assert code == 1 and "META_APP_SECRET" in text


def test_invalid_values_and_a_broken_clients_file_are_listed_with_the_rest(tmp_path: Path) -> None:
    clients = tmp_path / "clients.json"
    clients.write_text(
        '{"clients": [{"client_id": "a", "channels": {"wa": ["1"]}, "token_env": "A_TOKEN"}]}'
    )
    env = {
        **GOOD_PROD,
        "MAX_BODY_BYTES": "lots",
        "GATEWAY_CLIENTS_FILE": str(clients),
        "MSG_SEND_URL": "",
    }
    code, text = _run(env)
    assert code == 1
    assert "MAX_BODY_BYTES='lots'" in text
    assert "A_TOKEN" in text
    assert "MSG_SEND_URL is not set" in text


def test_cli_preflight_uses_the_process_env(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for key in list(os.environ):
        if key.startswith(("META_", "GATEWAY_")) or key.endswith("_SEND_URL"):
            monkeypatch.delenv(key)
    for key, value in {**GOOD_PROD, "META_APP_SECRET": ""}.items():
        monkeypatch.setenv(key, value)
    assert cli_main(["preflight"]) == 1
    assert "META_APP_SECRET is not set" in capsys.readouterr().out


def test_preflight_script_exits_1_listing_problems() -> None:
    env = {
        "PATH": os.environ["PATH"],
        "GATEWAY_ENV": "prod",
        "GATEWAY_CLIENTS_FILE": str(ROOT / "examples" / "clients.json"),
    }
    done = subprocess.run(
        [str(ROOT / "scripts" / "preflight.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert "META_APP_SECRET" in done.stdout and "WA_SEND_URL" in done.stdout
    done = subprocess.run(
        [str(ROOT / "scripts" / "preflight.sh")],
        env={**env, **GOOD_PROD},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_example_clients_file_is_refused_in_prod() -> None:
    """Its API key is published in the repository: anyone could send through the gateway."""
    code, text = _run({**GOOD_PROD, "GATEWAY_CLIENTS_FILE": EXAMPLE_CLIENTS})
    assert code == 1
    assert "GATEWAY_CLIENTS_FILE" in text and "example" in text and "published" in text
    # in dev it stays the convenient default
    dev = {k: v for k, v in GOOD_PROD.items() if k != "GATEWAY_ENV"}
    assert _run({**dev, "GATEWAY_CLIENTS_FILE": EXAMPLE_CLIENTS}) == (0, "preflight: OK\n")


def test_a_copy_of_the_example_keys_in_another_file_is_refused_in_prod(tmp_path: Path) -> None:
    copy = tmp_path / "clients.json"
    copy.write_text(Path(EXAMPLE_CLIENTS).read_text())
    code, text = _run({**GOOD_PROD, "GATEWAY_CLIENTS_FILE": str(copy)})
    assert code == 1 and "client acme" in text and "published" in text
    assert "acme-dev-api-key" not in text  # the key itself is never printed


def test_warn_mode_in_prod_passes_but_names_the_risk() -> None:
    code, text = _run({**GOOD_PROD, "META_SIGNATURE_REQUIRED": "warn"})
    assert code == 0
    assert text.startswith("preflight: OK, 1 warning\n")
    assert "META_SIGNATURE_REQUIRED=warn in prod" in text and "unsigned" in text
    off = _run({**GOOD_PROD, "META_SIGNATURE_REQUIRED": "off"})
    assert off[0] == 1 and "META_SIGNATURE_REQUIRED=off" in off[1]


@pytest.mark.anyio
async def test_warn_mode_in_prod_is_logged_at_every_start() -> None:
    stream = io.StringIO()
    for _ in range(2):
        rt = make_runtime(GATEWAY_ENV="prod", META_SIGNATURE_REQUIRED="warn", **GOOD_URLS)
        app = build_app(rt)
        configure_logging(stream=stream)
        async with app.router.lifespan_context(app):
            pass
    configure_logging()
    warned = [x for x in Logs(stream).lines if x["stage"] == "startup" and x["level"] == "WARNING"]
    assert len(warned) == 2
    assert all("META_SIGNATURE_REQUIRED=warn in prod" in x["msg"] for x in warned)


GOOD_URLS = {k: GOOD_PROD[k] for k in ("WA_SEND_URL", "IG_SEND_URL", "MSG_SEND_URL")}
