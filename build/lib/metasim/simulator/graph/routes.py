"""The Graph paths the fake serves, matched once per request; the actionable 404 for the rest."""

from __future__ import annotations

import re
from dataclasses import dataclass

from metasim.simulator.graph.errors import GraphError

VERSION = r"v\d+\.\d+"
_ROUTES: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    ("POST", "messages", re.compile(rf"^/({VERSION})/([^/]+)/messages/?$")),
    ("POST", "media_upload", re.compile(rf"^/({VERSION})/([^/]+)/media/?$")),
    ("GET", "media_get", re.compile(rf"^/({VERSION})/([0-9]+)/?$")),
    ("DELETE", "media_delete", re.compile(rf"^/({VERSION})/([0-9]+)/?$")),
    ("GET", "media_download", re.compile(r"^()/whatsapp_business/attachments/?()$")),
)
SERVED = (
    "POST /{version}/{phone_number_id}/messages (WhatsApp send, mark-as-read)",
    "POST /{version}/me/messages or /{version}/{page_or_ig_id}/messages (Messenger, Instagram)",
    "POST /{version}/{phone_number_id}/media (WhatsApp media upload, multipart)",
    "GET /{version}/{media_id} (media URL), DELETE /{version}/{media_id}",
    "GET /whatsapp_business/attachments/?mid={media_id} (media download, Bearer)",
    "/__metasim/... (control API, see GET /__metasim/)",
)


@dataclass(frozen=True, slots=True)
class RouteMatch:
    """Which endpoint a request hit: ``kind``, Graph version and the object id in the path."""

    kind: str
    version: str
    object_id: str


def match(method: str, path: str) -> RouteMatch | None:
    """The endpoint ``method path`` hits, or None."""
    for route_method, kind, pattern in _ROUTES:
        if route_method != method:
            continue
        found = pattern.match(path)
        if found:
            return RouteMatch(kind, found.group(1), found.group(2))
    return None


def not_found(method: str, path: str) -> GraphError:
    """stripe-mock style: name the method and path, and list what is served."""
    hint = "; ".join(SERVED)
    version_hint = ""
    if not re.match(rf"^/{VERSION}/", path) and not path.startswith("/whatsapp_business/"):
        version_hint = " Graph paths start with a version such as /v25.0/."
    return GraphError(
        404,
        code=100,
        type="GraphMethodException",
        message=(
            f"Unrecognized request URL ({method}: {path}).{version_hint} The fake Graph API "
            f"serves: {hint}."
        ),
    )
