"""The built wheel, installed in a fresh venv outside the repository, works as a team uses it."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import subprocess
import sys
import threading
import tomllib
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import httpx
import pytest

from metasim.simulator.net import free_port
from metasim.simulator.process import ServerProcess

ROOT = Path(__file__).resolve().parents[2]
ADOPTING = ROOT / "examples" / "adopting"
# the wheel build and the install take about a minute: one group, one xdist worker
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("wheel")]


def run(argv: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    # a clean environment: nothing of the repository's venv or PYTHONPATH leaks in
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    done = subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, (
        f"{argv} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    return done


# what a checkout has that a wheel must never pick up: setuptools builds in the source's build/
# folder, where a stale file of an earlier build would ship again, so the wheel is built from a
# copy of the tree without them
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "out", "mutants", "node_modules"
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("source") / "metasim"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    out = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(source)], out)
    (built,) = out.glob("metasim-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv in a temporary folder with the wheel and its runtime dependencies only."""
    home = tmp_path_factory.mktemp("team")
    run([sys.executable, "-m", "venv", str(home / "venv")], home)
    pip = [str(home / "venv" / "bin" / "python"), "-m", "pip", "install", "-q", "--no-compile"]
    run([*pip, "-c", str(ROOT / "constraints.txt"), str(wheel)], home)
    return home / "venv" / "bin"


def test_the_wheel_installs_one_import_name_and_ships_its_data(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"metasim"}, sorted(top)
    for needed in (
        "metasim/payloads/samples/whatsapp.json",
        "metasim/payloads/schemas/envelope.schema.json",
        "metasim/payloads/backlog.json",
        "metasim/features/T2_parsing.feature",
        "metasim/steps/suite.ini",
        "metasim/reports/templates/index.html",
        "metasim/examples/clients.json",
    ):
        assert needed in names, f"{needed} missing from the wheel"
    strays = [n for n in names if n.startswith(("metasim/tests/", "metasim/reports/out/"))]
    assert not strays and not [n for n in names if "/zoo/" in n], strays


def test_every_package_folder_is_listed_for_the_wheel() -> None:
    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    for part in ("simulator", "gateway", "steps", "reports"):
        for init in (ROOT / part).rglob("__init__.py"):
            name = "metasim." + ".".join(init.parent.relative_to(ROOT).parts)
            assert name in listed, f"{name} is not in pyproject's packages: the wheel would lack it"


def test_runtime_commands_work_from_the_installed_wheel(venv: Path, tmp_path: Path) -> None:
    # nothing of the repository is importable from there: only the metasim package
    probe = "import importlib.util as u; print([n for n in ('simulator', 'gateway', 'steps', 'reports') if u.find_spec(n)])"
    assert run([str(venv / "python"), "-c", probe], tmp_path).stdout.strip() == "[]"
    done = run([str(venv / "metasim"), "payload", "wa.text"], tmp_path)
    _, body = done.stdout.split("\n\n", 1)  # the headers Meta sends, a blank line, the bytes
    sample = json.loads(body)
    assert sample["object"] == "whatsapp_business_account"
    assert sample["entry"][0]["changes"][0]["value"]["messages"][0]["type"] == "text"
    run([str(venv / "metasim-gateway"), "--help"], tmp_path)
    # an installed metasim does not load itself into other pytest runs of the environment
    plain = run(
        [str(venv / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", "--help"], tmp_path
    )
    assert "--target" not in plain.stdout and "--metasim" not in plain.stdout


@pytest.fixture
def graph(venv: Path, tmp_path: Path) -> Iterator[int]:
    port = free_port()
    argv = [venv / "metasim", "graph", "serve", "--port", str(port), "--tokens", "wa:106540352242922=EAAGwheel"]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    server = ServerProcess(argv, port=port, env=env, cwd=tmp_path, name="graph serve (wheel)")
    with server.start(timeout=30):
        yield port


def test_graph_serve_answers_a_send_as_graph_does(graph: int) -> None:
    send = {
        "messaging_product": "whatsapp",
        "to": "33612345678",
        "type": "text",
        "text": {"body": "hi"},
    }
    url = f"http://127.0.0.1:{graph}/v25.0/106540352242922/messages"
    ok = httpx.post(url, json=send, headers={"Authorization": "Bearer EAAGwheel"})
    assert ok.status_code == 200 and ok.json()["messages"][0]["id"].startswith("wamid."), ok.text
    bad = httpx.post(url, json=send, headers={"Authorization": "Bearer wrong"})
    assert bad.status_code == 401 and bad.json()["error"]["code"] == 190, bad.text


def test_metasim_test_runs_a_teams_gateway_with_the_suite_and_its_own_feature(
    venv: Path, tmp_path: Path
) -> None:
    team = tmp_path / "our-bot"
    shutil.copytree(ADOPTING, team)
    report = team / "metasim-report"
    done = subprocess.run(
        [str(venv / "metasim"), "test", "--target", "target.toml", "--features", "features",
         "--", "-m", "OUR.01 or T2.01 or T3.01 or T2.06", "-q"],
        cwd=team, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    results = json.loads((report / "results.json").read_text(encoding="utf-8"))
    outcomes = {(s["name"], s["channel"]): s["outcome"] for s in results["scenarios"]}
    assert outcomes[("A customer's greeting is echoed back to them", "wa")] == "passed", outcomes
    assert outcomes[("A WhatsApp text message is answered once, to its sender", "wa")] == "passed"
    wa = [o for (_, channel), o in outcomes.items() if channel == "wa"]
    assert len(wa) >= 4 and "failed" not in wa, outcomes
    # a one-channel gateway: the Instagram and Messenger scenarios are not applicable, not failed
    others = [o for (_, channel), o in outcomes.items() if channel in ("ig", "msg")]
    assert others and set(others) == {"not_applicable"}, outcomes
    assert (report / "index.html").is_file() and (report / "junit.xml").is_file()


class _Webhook(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[dict[str, str], bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((dict(self.headers), body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_catalogue_trigger_and_load_work_from_the_installed_wheel(
    venv: Path, tmp_path: Path
) -> None:
    events = run([str(venv / "metasim"), "events", "--channel", "wa"], tmp_path).stdout
    assert "wa.text" in events and "wa.image" in events
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Webhook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/webhook"
        run([str(venv / "metasim"), "trigger", "wa.text", "--to", url, "--secret", "s3"], tmp_path)
    finally:
        server.shutdown()
    [(headers, body)] = _Webhook.received
    signature = "sha256=" + hmac.new(b"s3", body, hashlib.sha256).hexdigest()
    assert headers["X-Hub-Signature-256"] == signature
    # the load command starts the bundled gateway and the fake from the installed files alone
    accounting = tmp_path / "load.json"
    load = [str(venv / "metasim"), "load", "--profile", "steady", "--duration", "3", "--rate", "10"]
    run([*load, "--no-faults", "--json", str(accounting)], tmp_path)
    figures = json.loads(accounting.read_text(encoding="utf-8"))["accounting"]
    assert figures["total"] > 0 and figures["replied_once"] == figures["total"], figures
    assert figures["lost"] == 0 and figures["doubled"] == 0 and figures["ok"], figures
