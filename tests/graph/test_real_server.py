"""`metasim graph serve` as a real process: sends, control API, reset, no answer, closed loop."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from metasim.simulator.graph import DEFAULT_TOKEN
from metasim.simulator.graph.server import ServerThread
from metasim.simulator.net import free_port
from metasim.simulator.process import ServerProcess
from metasim.steps.poll import eventually
from tests.support.graph_cli import graph_serve_argv

from .conftest import SEND, wa_text
from .test_callbacks import Receiver

ROOT = Path(__file__).resolve().parents[2]
SECRET = "b7e2f0c4d9a14e6f8a3c5d7e9f1a2b3c"
HEADERS = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[Receiver, str]]:
    """A gateway stand-in on a real socket, collecting status webhooks."""
    target = Receiver()
    with ServerThread(target) as url:
        yield target, url


@pytest.fixture(scope="module")
def fake(receiver: tuple[Receiver, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The fake Graph API started through the CLI, wired to the receiver."""
    port = free_port()
    output = tmp_path_factory.mktemp("graph-serve") / "output.log"
    argv = graph_serve_argv(
        port, "--callbacks-to", receiver[1] + "/webhook/{channel}", "--secret", SECRET
    )
    with ServerProcess(argv, port=port, cwd=ROOT, output=output, name="metasim graph serve"):
        yield f"http://127.0.0.1:{port}"
    assert "fake Graph API on http://127.0.0.1" in output.read_text("utf-8")


def test_real_server_send_and_signed_status_webhooks(
    fake: str, receiver: tuple[Receiver, str]
) -> None:
    target, _ = receiver
    target.posts.clear()
    answer = httpx.post(fake + SEND, json=wa_text(), headers=HEADERS)
    assert answer.status_code == 200
    posts = eventually(lambda: len(target.posts), lambda n: n >= 3, timeout=10)
    assert posts == 3
    for post in target.posts:
        digest = hmac.new(SECRET.encode(), post["body"], hashlib.sha256).hexdigest()
        assert post["headers"]["x-hub-signature-256"] == "sha256=" + digest
        assert post["path"] == "/webhook/wa"
    sent = httpx.get(fake + "/__metasim/callbacks/sent").json()["sent"]
    assert [s["kinds"] for s in sent] == [["sent"], ["delivered"], ["read"]]


def test_real_server_reset_drops_the_connection(fake: str) -> None:
    httpx.post(fake + "/__metasim/faults", json={"action": "reset", "times": 1})
    with pytest.raises(httpx.ReadError):
        httpx.post(fake + SEND, json=wa_text(), headers=HEADERS)
    assert httpx.post(fake + SEND, json=wa_text(), headers=HEADERS).status_code == 200


def test_real_server_no_answer_lets_the_client_time_out(fake: str) -> None:
    httpx.post(fake + "/__metasim/faults", json={"action": "no_answer", "times": 1})
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(fake + SEND, json=wa_text(), headers=HEADERS, timeout=0.5)
    assert httpx.post(fake + SEND, json=wa_text(), headers=HEADERS).status_code == 200
    calls = httpx.get(fake + "/__metasim/calls").json()["calls"]
    assert [c["response"] for c in calls if c["status"] is None][-1] == "no_answer"
