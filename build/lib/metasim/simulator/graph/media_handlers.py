"""WhatsApp media endpoints: upload (multipart), URL lookup, download (Bearer), delete."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from starlette.datastructures import Headers, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from metasim.simulator.graph import answers
from metasim.simulator.graph.errors import invalid_parameter, oauth, unknown_object
from metasim.simulator.graph.handlers import apply_faults, authorize, expected
from metasim.simulator.graph.incoming import FACEBOOK_HOST, Answer, Incoming
from metasim.simulator.graph.recorder import RecordedCall
from metasim.simulator.graph.routes import RouteMatch
from metasim.simulator.graph.tokens import TokenGrant, extract_token

if TYPE_CHECKING:
    from metasim.simulator.graph.app import GraphApp

LOOKASIDE = "https://lookaside.fbsbx.com"


async def _form(req: Incoming) -> tuple[dict[str, Any], bytes]:
    """The multipart form as a dict (the file described, not inlined) and the file bytes."""
    content_type = req.headers.get("content-type", "")
    if content_type.startswith("application/x-www-form-urlencoded"):
        # a form without its file part: let validation name the missing file
        return dict(parse_qsl(req.body.decode("latin-1"), keep_blank_values=True)), b""
    if not content_type.startswith("multipart/form-data"):
        raise invalid_parameter(
            f"Media upload needs multipart/form-data, got {content_type or 'no content type'}.",
            whatsapp=True,
        )

    async def stream() -> Any:
        yield req.body

    parser = MultiPartParser(Headers(headers=req.headers), stream())
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise invalid_parameter(f"Malformed multipart body: {exc}.", whatsapp=True) from exc
    fields: dict[str, Any] = {}
    content = b""
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            content = await value.read()
            fields[name] = {
                "filename": value.filename or "",
                "content_type": value.content_type or "",
                "size": len(content),
            }
        else:
            fields[name] = value
    return fields, content


async def upload(app: GraphApp, req: Incoming, call: RecordedCall, m: RouteMatch) -> Answer:
    """POST /{v}/{phone_number_id}/media -> ``{"id": media_id}``."""
    grant = authorize(app, req, m.object_id, whatsapp=True)
    call.channel, call.tenant, call.kind = grant.channel, grant.tenant_id, "media_upload"
    expected(app, call)
    fields, content = await _form(req)
    call.body = fields
    app.validator.check("wa-media-upload", fields, whatsapp=True)
    await apply_faults(app, call, whatsapp=True)
    mime = fields.get("type") or fields["file"]["content_type"] or "application/octet-stream"
    call.type = mime
    media = app.media.upload(grant.tenant_id, content, mime, fields["file"]["filename"] or None)
    return Answer(200, {"id": media.id})


def _any_wa_grant(app: GraphApp, req: Incoming, object_id: str) -> TokenGrant:
    grants = app.tokens.authenticate(extract_token(req.headers, req.query), object_id)
    for grant in grants:
        if grant.channel == "wa":
            return grant
    raise unknown_object(object_id, req.method, whatsapp=False)


def media_url(app: GraphApp, req: Incoming, media_id: str) -> str:
    """Where the file downloads from: lookaside (as Meta) when addressed as graph.facebook.com,
    else back to this server, unless ``media_base_url`` says otherwise."""
    base = app.config.media_base_url
    if base is None:
        base = LOOKASIDE if req.host == FACEBOOK_HOST else req.base_url
    stamp = int(time.time())
    return f"{base.rstrip('/')}/whatsapp_business/attachments/?mid={media_id}&ext={stamp}"


async def info(app: GraphApp, req: Incoming, call: RecordedCall, m: RouteMatch) -> Answer:
    """GET /{v}/{media_id} -> url, mime_type, sha256, file_size, id."""
    grant = _any_wa_grant(app, req, m.object_id)
    call.channel, call.tenant, call.kind = "wa", grant.tenant_id, "media_get"
    expected(app, call)
    await apply_faults(app, call, whatsapp=True)
    media = app.media.get(m.object_id)
    if media is None:
        raise unknown_object(m.object_id, req.method, whatsapp=True)
    return Answer(
        200,
        {
            "messaging_product": "whatsapp",
            "url": media_url(app, req, media.id),
            "mime_type": media.mime_type,
            "sha256": media.sha256,
            "file_size": media.size,
            "id": media.id,
        },
    )


async def delete(app: GraphApp, req: Incoming, call: RecordedCall, m: RouteMatch) -> Answer:
    """DELETE /{v}/{media_id} -> ``{"success": true}``."""
    grant = _any_wa_grant(app, req, m.object_id)
    call.channel, call.tenant, call.kind = "wa", grant.tenant_id, "media_delete"
    expected(app, call)
    await apply_faults(app, call, whatsapp=True)
    if not app.media.delete(m.object_id):
        raise unknown_object(m.object_id, req.method, whatsapp=True)
    return Answer(200, answers.SUCCESS)


async def download(app: GraphApp, req: Incoming, call: RecordedCall, m: RouteMatch) -> Answer:
    """GET /whatsapp_business/attachments/?mid=... : the bytes, Bearer token required."""
    call.channel, call.kind = "wa", "media_download"
    auth = req.headers.get("authorization", "")
    if not auth.lower().startswith("bearer "):
        # Meta's lookaside host wants the header; the query parameter is not enough
        raise oauth("Media downloads need an Authorization: Bearer header with a valid token.")
    grant = _any_wa_grant(app, req, req.query.get("mid", ""))
    call.tenant = grant.tenant_id
    expected(app, call)
    await apply_faults(app, call, whatsapp=True)
    media = app.media.get(req.query.get("mid", ""))
    if media is None:
        raise unknown_object(req.query.get("mid", "") or "(no mid)", req.method, whatsapp=True)
    return Answer(200, media.content, media_type=media.mime_type)
