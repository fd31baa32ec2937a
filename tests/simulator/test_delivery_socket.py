"""One delivery over a real socket: uvicorn on a free loopback port, started and stopped here."""

from __future__ import annotations

from metasim.simulator.delivery import RetryPolicy, SyncDeliverer
from tests.cli.fake_gateway import SECRET, TOKEN
from tests.cli.server import running_gateway

PAYLOAD = {
    "object": "instagram",
    "entry": [
        {
            "id": "17841400000000001",
            "time": 1764000000000,
            "messaging": [
                {
                    "sender": {"id": "1234567890123456"},
                    "recipient": {"id": "17841400000000001"},
                    "timestamp": 1764000000000,
                    "message": {"mid": "aWdfZAG1", "text": "Ça marche 👍 https://ig.me/x"},
                }
            ],
        }
    ],
}


def test_signed_delivery_retry_and_handshake_over_a_real_socket():
    with (
        running_gateway() as url,
        SyncDeliverer(url, SECRET, retry=RetryPolicy(compression=1e9)) as d,
    ):
        record = d.deliver(PAYLOAD, path="/webhook/ig")
        assert record.ok and record.url == url + "/webhook/ig"
        flaky = d.deliver(PAYLOAD, path="/flaky/1")
        assert flaky.statuses == [503, 200]
        refused = d.deliver(PAYLOAD, path="/webhook/ig", defect="utf8_reserialised")
        assert refused.final_status == 403
        assert all(r.ok for r in d.handshake_all("/webhook/ig", TOKEN))
