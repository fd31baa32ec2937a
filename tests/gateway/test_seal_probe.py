"""The tamper-seal test probe: an envelope changed after its seal is quarantined, never answered."""

from __future__ import annotations

import httpx
import pytest

from metasim.gateway.runtime import Runtime, WorkerUnavailable
from metasim.simulator import catalogue
from metasim.simulator.context import BuildContext
from tests.gateway.conftest import make_runtime
from tests.gateway.test_envelopes import ADMIN, NOW, _client, _deliver

pytestmark = pytest.mark.anyio
AUTH = {"Authorization": f"Bearer {ADMIN}"}


async def _arm(rt: Runtime) -> httpx.Response:
    async with _client(rt) as c:
        return await c.post("/admin/probes/tamper-seal", headers=AUTH)


async def test_an_envelope_changed_after_its_seal_is_quarantined_with_no_reply() -> None:
    rt = make_runtime(GATEWAY_ADMIN_TOKEN=ADMIN, GATEWAY_ENV="test")
    assert (await _arm(rt)).json() == {"armed": 1}
    await _deliver(rt, catalogue.build("wa.text", BuildContext.seeded(3, now=NOW)))
    assert await rt.store.outbox_depth() == 0
    (q,) = await rt.store.quarantine_list()
    assert q.reason == "seal-broken"
    # the probe is spent: the next message is answered
    await _deliver(rt, catalogue.build("wa.text", BuildContext.seeded(4, now=NOW)))
    assert await rt.store.outbox_depth() == 1


async def test_the_probe_is_refused_in_prod() -> None:
    rt = make_runtime(GATEWAY_ADMIN_TOKEN=ADMIN, GATEWAY_ENV="prod")
    answer = await _arm(rt)
    assert answer.status_code == 403 and answer.json()["error"] == "probe_disabled"
    assert rt.probes.tamper.armed == 0


class _DownWorker:
    """The link of an HTTP process whose worker process is restarting."""

    async def call(self, op: str, **args: object) -> object:
        raise WorkerUnavailable("the worker process is not running (restarting?)")


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/admin/probes/tamper-seal"), ("GET", "/admin/envelopes?msg_id=wamid.X")],
)
async def test_admin_calls_answer_503_while_the_worker_process_is_down(
    method: str, path: str
) -> None:
    rt = make_runtime(GATEWAY_ADMIN_TOKEN=ADMIN, GATEWAY_ENV="test")
    rt.link = _DownWorker()
    async with _client(rt) as c:
        answer = await c.request(method, path, headers=AUTH)
    assert answer.status_code == 503
    error = answer.json()["error"]
    assert error["code"] == "worker_unavailable" and "restarting" in error["message"]
    assert "/ready" in error["hint"]
