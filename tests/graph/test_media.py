"""WhatsApp media: upload, URL lookup, Bearer download, delete, and inbound ids from the simulator."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from metasim.simulator import schemas
from metasim.simulator.graph import GraphApp

from .conftest import WA, error_of

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8


def _upload(api: httpx.Client, content: bytes = JPEG, mime: str = "image/jpeg") -> httpx.Response:
    return api.post(
        f"/v25.0/{WA}/media",
        files={"file": ("facture.jpg", content, mime)},
        data={"messaging_product": "whatsapp", "type": mime},
    )


def test_upload_lookup_download_delete(api: httpx.Client) -> None:
    uploaded = _upload(api)
    assert uploaded.status_code == 200, uploaded.text
    schemas.validate("graph/media-upload-response", uploaded.json())
    media_id = uploaded.json()["id"]

    info = api.get(f"/v25.0/{media_id}")
    assert info.status_code == 200
    schemas.validate("graph/media-info", info.json())
    assert info.json()["mime_type"] == "image/jpeg"
    assert info.json()["file_size"] == len(JPEG)
    assert info.json()["sha256"] == hashlib.sha256(JPEG).hexdigest()
    assert info.json()["url"].startswith(
        "https://lookaside.fbsbx.com/whatsapp_business/attachments/"
    )

    download = api.get(info.json()["url"])
    assert download.status_code == 200
    assert download.content == JPEG
    assert download.headers["content-type"] == "image/jpeg"

    deleted = api.delete(f"/v25.0/{media_id}")
    assert deleted.json() == {"success": True}
    schemas.validate("graph/success", deleted.json())
    gone = api.get(f"/v25.0/{media_id}")
    assert gone.status_code == 400
    assert (error_of(gone)["code"], error_of(gone)["error_subcode"]) == (100, 33)


def test_download_needs_a_bearer_header(api: httpx.Client) -> None:
    media_id = _upload(api).json()["id"]
    url = api.get(f"/v25.0/{media_id}").json()["url"]
    response = api.get(url, headers={"Authorization": ""})
    assert response.status_code == 401
    assert error_of(response)["code"] == 190
    wrong = api.get(url, headers={"Authorization": "Bearer EAAGnope"})
    assert wrong.status_code == 401


def test_unseen_media_id_resolves_to_a_stable_synthetic_file(api: httpx.Client) -> None:
    inbound_id = "1479537139650973"  # an id the simulator put in an inbound webhook
    first = api.get(f"/v25.0/{inbound_id}").json()
    second = api.get(f"/v25.0/{inbound_id}").json()
    assert first["sha256"] == second["sha256"]
    schemas.validate("graph/media-info", first)
    content = api.get(first["url"]).content
    assert len(content) == first["file_size"]
    assert hashlib.sha256(content).hexdigest() == first["sha256"]


def test_inbound_catalogue_media_id_resolves(api: httpx.Client) -> None:
    from metasim.simulator import catalogue

    payload = catalogue.build("wa.image")
    media_id = payload["entry"][0]["changes"][0]["value"]["messages"][0]["image"]["id"]
    assert api.get(f"/v25.0/{media_id}").status_code == 200


def test_media_url_points_back_to_the_server_when_not_addressed_as_graph_facebook_com(
    graph: GraphApp,
) -> None:
    import asyncio

    async def lookup() -> str:
        transport = httpx.ASGITransport(app=graph.asgi)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8089") as c:
            answer = await c.get(
                "/v25.0/1479537139650973",
                headers={"Authorization": "Bearer EAAGmetasimDevToken0000000000000000"},
            )
            return str(answer.json()["url"])

    assert asyncio.run(lookup()).startswith("http://127.0.0.1:8089/whatsapp_business/attachments/")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"data": {"messaging_product": "whatsapp", "type": "image/jpeg"}}, "file"),
        (
            {"files": {"file": ("a.jpg", JPEG, "image/jpeg")}, "data": {"type": "image/jpeg"}},
            "messaging_product",
        ),
        (
            {
                "files": {"file": ("a.jpg", JPEG, "image/jpeg")},
                "data": {"messaging_product": "whatsapp", "type": "image/jpeg", "caption": "x"},
            },
            '"caption"',
        ),
        (
            {
                "files": {"file": ("a.jpg", JPEG, "image/jpeg")},
                "data": {"messaging_product": "whatsapp", "type": "jpeg"},
            },
            "type",
        ),
    ],
)
def test_invalid_upload_answers_error_100(
    api: httpx.Client, kwargs: dict[str, object], field: str
) -> None:
    response = api.post(f"/v25.0/{WA}/media", **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 400
    assert field in error_of(response)["message"]


def test_upload_as_json_is_refused(api: httpx.Client) -> None:
    response = api.post(f"/v25.0/{WA}/media", json={"messaging_product": "whatsapp"})
    assert response.status_code == 400
    assert "multipart/form-data" in error_of(response)["message"]


def test_non_numeric_media_id_is_an_unknown_route(api: httpx.Client) -> None:
    assert api.get("/v25.0/not-a-media-id").status_code == 404
