"""Settings.from_env: defaults, strict casts, every problem listed, secrets out of repr (P0-04)."""

from __future__ import annotations

import pytest

from metasim.gateway.settings import ConfigError, Settings


def test_defaults_in_dev_point_send_urls_at_the_local_fake_graph_api() -> None:
    s = Settings.from_env({})
    assert s.env == "dev"
    assert s.signature_mode == "warn"
    assert s.wa_send_url == "http://127.0.0.1:8089/v25.0"
    assert s.ig_send_url == s.msg_send_url == s.wa_send_url
    assert s.store_url == "sqlite:///var/gateway.db"
    assert s.dedupe_window_seconds == 7 * 24 * 3600
    assert s.max_body_bytes == 3 * 1024 * 1024
    assert s.outbox_max_attempts == 5
    assert s.dlq_cron == "*/5 * * * *"


def test_prod_gives_no_default_to_any_send_url() -> None:
    s = Settings.from_env({"GATEWAY_ENV": "prod"})
    assert (s.wa_send_url, s.ig_send_url, s.msg_send_url) == (None, None, None)
    assert s.send_url("wa") is None


def test_values_are_cast_and_trailing_slash_dropped() -> None:
    s = Settings.from_env(
        {
            "META_SIGNATURE_REQUIRED": "ENFORCE",
            "META_APP_SECRET": "app-secret-123",
            "WA_SEND_URL": "https://graph.facebook.com/v25.0/",
            "OUTBOX_MAX_ATTEMPTS": "7",
            "GRAPH_TIMEOUT_SECONDS": "2.5",
            "LOG_LEVEL": "debug",
            "GATEWAY_STORE": "redis://127.0.0.1:6379/0",
        }
    )
    assert s.signature_mode == "enforce"
    assert s.wa_send_url == "https://graph.facebook.com/v25.0"
    assert s.outbox_max_attempts == 7
    assert s.graph_timeout_seconds == 2.5
    assert s.log_level == "DEBUG"
    assert s.store_url.startswith("redis://")


def test_every_invalid_value_is_listed_at_once() -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(
            {
                "GATEWAY_ENV": "production",
                "META_SIGNATURE_REQUIRED": "strict",
                "MAX_BODY_BYTES": "3MB",
                "OUTBOX_MAX_ATTEMPTS": "0",
                "DLQ_CRON": "every five minutes",
                "IG_SEND_URL": "graph.facebook.com/v25.0",
                "GATEWAY_STORE": "postgres://db",
                "GATEWAY_PORT": "70000",
                "GATEWAY_WORKERS": "threads",
                "GATEWAY_WORKER_NICENESS": "20",
            }
        )
    text = str(caught.value)
    for name in (
        "GATEWAY_ENV",
        "META_SIGNATURE_REQUIRED",
        "MAX_BODY_BYTES",
        "OUTBOX_MAX_ATTEMPTS",
        "DLQ_CRON",
        "IG_SEND_URL",
        "GATEWAY_STORE",
        "GATEWAY_PORT",
        "GATEWAY_WORKERS",
        "GATEWAY_WORKER_NICENESS",
    ):
        assert name in text
    assert len(caught.value.problems) == 10


def test_enforce_without_app_secret_is_refused() -> None:
    with pytest.raises(ConfigError, match="META_APP_SECRET"):
        Settings.from_env({"META_SIGNATURE_REQUIRED": "enforce"})


def test_secrets_never_appear_in_repr_or_public_view() -> None:
    env = {
        "META_APP_SECRET": "s3cr3t-app-value",
        "META_VERIFY_TOKEN": "verify-me-please",
        "GATEWAY_SEAL_KEY": "seal-key-value",
        "GATEWAY_ADMIN_TOKEN": "admin-token-value",
    }
    s = Settings.from_env(env)
    for value in env.values():
        assert value not in repr(s)
    assert sorted(s.secret_values()) == sorted(env.values())


def test_empty_value_counts_as_unset() -> None:
    assert Settings.from_env({"META_SIGNATURE_REQUIRED": "  "}).signature_mode == "warn"


def test_the_process_env_is_read_by_from_env_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_PORT", "9123")
    monkeypatch.setenv("gateway_host", "10.0.0.1")  # names are matched exactly, as documented
    assert Settings.from_env().port == 9123
    assert Settings.from_env().host == "127.0.0.1"
    # a test's Settings(...) never picks up the developer's shell variables
    assert Settings(admin_token="x").port == 8080


def test_each_problem_names_the_variable_its_value_and_what_to_write() -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"OUTBOX_CONCURRENCY": "5000", "LOG_LEVEL": "loud"})
    assert caught.value.problems == [
        "OUTBOX_CONCURRENCY='5000' must be between 1 and 1000",
        "LOG_LEVEL='loud' is not one of DEBUG, INFO, WARNING, ERROR, CRITICAL",
    ]
