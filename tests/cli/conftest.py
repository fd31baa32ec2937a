"""Fixtures for the CLI tests: one fake gateway process shared by the module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.cli.server import running_gateway


@pytest.fixture(scope="module")
def gateway_url() -> Iterator[str]:
    with running_gateway() as url:
        yield url
