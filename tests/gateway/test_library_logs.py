"""uvicorn, aiohttp and redis log through stdlib logging; their lines come out as our JSON."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from metasim.gateway.observability.logs import configure_logging


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    buf = io.StringIO()
    configure_logging(level="INFO", stream=buf, secrets=["s3cret-value-123"])
    yield buf
    configure_logging()


def _lines(buf: io.StringIO) -> list[dict]:
    return [json.loads(x) for x in buf.getvalue().splitlines() if x.strip()]


@pytest.mark.parametrize("name", ["uvicorn.error", "aiohttp.client", "redis.connection"])
def test_a_library_line_is_a_json_line_with_its_logger(stream: io.StringIO, name: str) -> None:
    logging.getLogger(name).warning("pool %s is %d%% full", "graph", 93)
    [line] = _lines(stream)
    assert line["level"] == "WARNING" and line["stage"] == "library"
    assert line["logger"] == name and line["msg"] == "pool graph is 93% full"
    assert line["timestamp"].endswith("Z")


def test_a_library_exception_carries_its_traceback_and_secrets_are_masked(
    stream: io.StringIO,
) -> None:
    try:
        raise ConnectionResetError("peer reset, token s3cret-value-123")
    except ConnectionResetError:
        logging.getLogger("uvicorn.error").exception("Exception in ASGI application")
    [line] = _lines(stream)
    assert line["level"] == "ERROR" and line["exc_type"] == "ConnectionResetError"
    assert "Traceback (most recent call last)" in line["traceback"]
    assert "s3cret-value-123" not in stream.getvalue()


def test_library_lines_below_the_level_are_dropped(stream: io.StringIO) -> None:
    logging.getLogger("aiohttp.access").info("kept")
    logging.getLogger("aiohttp.access").debug("dropped")
    assert [x["msg"] for x in _lines(stream)] == ["kept"]


def test_uvicorn_keeps_no_handler_of_its_own(stream: io.StringIO) -> None:
    # uvicorn's own handlers would print plain text beside our JSON
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        assert logging.getLogger(name).handlers == []
