"""`metasim graph serve` options: tokens, limits, strictness, callbacks, errors."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from metasim.simulator.cli.common import CliError
from metasim.simulator.cli.graph import config_from
from metasim.simulator.cli.main import build_parser
from metasim.simulator.graph import DEFAULT_TOKEN


def parse(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["graph", "serve", *argv])


def test_defaults_are_strict_with_the_dev_token() -> None:
    config = config_from(parse())
    assert config.strict is True
    assert config.rate_limit_status == 400
    assert {g.token for g in config.grants} == {DEFAULT_TOKEN}
    assert not config.callbacks.enabled


def test_lenient_429_limits_and_callbacks() -> None:
    config = config_from(
        parse(
            "--lenient",
            "--rate-limit-status",
            "429",
            "--limits",
            "window,pair_rate",
            "--callbacks-to",
            "http://127.0.0.1:8000/webhook/{channel}",
            "--secret",
            "s",
        )
    )
    assert (config.strict, config.rate_limit_status) == (False, 429)
    assert config_from(parse("--no-retry-after")).retry_after_header is False
    defaults = config_from(parse())
    # Meta sends neither hint, and usually reports 131047 asynchronously
    assert (defaults.retry_after_header, defaults.is_transient_field) == (False, False)
    assert defaults.async_failures is True
    asked = config_from(parse("--retry-after", "--is-transient", "--sync-failures"))
    assert (asked.retry_after_header, asked.is_transient_field) == (True, True)
    assert asked.async_failures is False
    assert config.limits == ("window", "pair_rate")
    assert config.callbacks.to == "http://127.0.0.1:8000/webhook/{channel}"
    assert config_from(parse("--limits", "all")).limits == (
        "throughput",
        "pair_rate",
        "page_rate",
        "window",
    )


def test_tokens_from_specs_and_file(tmp_path: Path) -> None:
    grants_file = tmp_path / "tokens.json"
    grants_file.write_text(
        json.dumps([{"tenant_id": "17841400000000009", "channel": "ig", "token": "IGQ1"}])
    )
    config = config_from(
        parse(
            "--tokens",
            "wa:109876543210987=EAAG1",
            "--tokens",
            "112233445566778=EAAG2",
            "--tokens",
            str(grants_file),
        )
    )
    assert [(g.tenant_id, g.channel, g.token) for g in config.grants] == [
        ("109876543210987", "wa", "EAAG1"),
        ("112233445566778", "msg", "EAAG2"),
        ("17841400000000009", "ig", "IGQ1"),
    ]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--tokens", "999=EAAG"), "cannot tell the channel"),
        (("--tokens", "sms:1=x"), "CHANNEL:TENANT_ID=TOKEN"),
        (("--limits", "speed"), "unknown limits"),
        (("--callbacks-to", "http://127.0.0.1:8000/webhook"), "--secret"),
    ],
)
def test_bad_options_are_refused_with_a_hint(argv: tuple[str, ...], message: str) -> None:
    with pytest.raises(CliError, match=message):
        config_from(parse(*argv))


def test_bad_tokens_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "tokens.json"
    bad.write_text('{"tenant_id": "1"}')
    with pytest.raises(CliError, match="JSON list"):
        config_from(parse("--tokens", str(bad)))
