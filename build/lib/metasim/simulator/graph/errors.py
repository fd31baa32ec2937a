"""The Graph error catalogue (payloads/graph-errors.json) and Graph-shaped error answers (§h)."""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from functools import cache
from typing import Any

from metasim.simulator.schemas import PAYLOADS_DIR

CATALOGUE_PATH = PAYLOADS_DIR / "graph-errors.json"
RATE_LIMIT_STATUSES = (400, 429)


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    """One Graph error as Meta answers it: code, optional subcode, HTTP status, title, details."""

    key: str
    code: int
    http: int
    type: str
    title: str
    details: str | None = None
    subcode: int | None = None
    http_older: int | None = None
    retry_after: int | None = None
    is_transient: bool | None = None
    asynchronous: bool = False
    channel: str | None = None
    http_page: int | None = None


class UnknownGraphError(KeyError):
    """A fault names an error that is not in the catalogue; the message lists the known keys."""

    def __str__(self) -> str:
        return str(self.args[0])


@cache
def catalogue() -> dict[str, CatalogueEntry]:
    """Every catalogue entry by key (the code, or the subcode for Messenger's subcode errors)."""
    raw = json.loads(CATALOGUE_PATH.read_text(encoding="utf-8"))["errors"]
    return {
        key: CatalogueEntry(
            key=key,
            code=int(e["code"]),
            http=int(e["http"]),
            type=str(e["type"]),
            title=str(e["title"]),
            details=e.get("details"),
            subcode=e.get("subcode"),
            http_older=e.get("http_older"),
            retry_after=e.get("retry_after"),
            is_transient=e.get("is_transient"),
            asynchronous=bool(e.get("async", False)),
            channel=e.get("channel"),
            http_page=e.get("http_page"),
        )
        for key, e in raw.items()
    }


def entry(key: int | str) -> CatalogueEntry:
    """The catalogue entry for ``key`` (``130429``, ``"2018001"``); raises listing known keys."""
    found = catalogue().get(str(key))
    if found is None:
        known = ", ".join(sorted(catalogue(), key=int))
        raise UnknownGraphError(f"no Graph error {key!r} in {CATALOGUE_PATH.name}; known: {known}")
    return found


def fbtrace_id() -> str:
    """A fresh trace id shaped like Meta's (``A`` + 22 url-safe base64 characters)."""
    return "A" + base64.urlsafe_b64encode(os.urandom(16)).decode("ascii")[:22]


class GraphError(Exception):
    """An answer the fake gives instead of success: HTTP status, Graph error body, headers."""

    def __init__(
        self,
        status: int,
        *,
        code: int,
        message: str,
        type: str = "OAuthException",
        subcode: int | None = None,
        details: str | None = None,
        whatsapp: bool = False,
        retry_after: int | None = None,
        is_transient: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.type = type
        self.subcode = subcode
        self.details = details
        self.whatsapp = whatsapp
        self.retry_after = retry_after
        self.is_transient = is_transient

    def body(self) -> dict[str, Any]:
        """The Graph error body: ``{"error": {message, type, code, ..., fbtrace_id}}``."""
        error: dict[str, Any] = {"message": self.message, "type": self.type, "code": self.code}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        if self.is_transient is not None:
            error["is_transient"] = self.is_transient
        if self.whatsapp:
            # WhatsApp adds error_data{messaging_product, details} (docs/meta-contract.md §h)
            error["error_data"] = {"messaging_product": "whatsapp", "details": self.details or ""}
        elif self.details:
            error["error_user_msg"] = self.details
        error["fbtrace_id"] = fbtrace_id()
        return {"error": error}

    def headers(self) -> dict[str, str]:
        """``Retry-After`` for rate limits; ``WWW-Authenticate`` as Graph sends with a 401."""
        headers: dict[str, str] = {}
        if self.retry_after is not None:
            headers["Retry-After"] = str(self.retry_after)
        if self.status == 401:
            headers["WWW-Authenticate"] = (
                f'OAuth "Facebook Platform" "invalid_token" "{self.message}"'
            )
        return headers


def from_catalogue(
    key: int | str,
    *,
    whatsapp: bool,
    rate_limit_status: int = 400,
    status: int | None = None,
    retry_after: int | None = None,
    details: str | None = None,
    retry_after_header: bool = False,
    is_transient: bool = False,
) -> GraphError:
    """The Graph error of catalogue entry ``key`` as Meta answers it.

    ``rate_limit_status`` picks the reading for codes whose status changed (⚠ 400 in current WA
    docs, 429 in older copies); ``status`` / ``retry_after`` / ``details`` override the entry.
    Meta documents neither a ``Retry-After`` header nor ``is_transient`` on WhatsApp errors, so
    both are opt-in: ``retry_after`` (a fault's own value) always goes out;
    ``retry_after_header=True`` adds the catalogue's default delay to rate limits;
    ``is_transient=True`` adds the catalogue's ``is_transient`` flag to the body.
    """
    e = entry(key)
    chosen = e.http
    if e.http_older is not None and rate_limit_status == e.http_older:
        chosen = e.http_older
    if not whatsapp and e.http_page is not None:
        chosen = e.http_page  # e.g. 190: HTTP 401 on WhatsApp, 400 on Messenger / Instagram
    return GraphError(
        status if status is not None else chosen,
        code=e.code,
        subcode=e.subcode,
        message=f"(#{e.code}) {e.title}",
        type=e.type,
        details=details if details is not None else e.details,
        whatsapp=whatsapp and e.channel != "messenger",
        retry_after=retry_after
        if retry_after is not None
        else (e.retry_after if retry_after_header else None),
        is_transient=e.is_transient if is_transient else None,
    )


def invalid_parameter(message: str, *, whatsapp: bool, subcode: int | None = None) -> GraphError:
    """Error 100 naming the field, the way Graph words a bad parameter."""
    return GraphError(
        400,
        code=100,
        subcode=subcode,
        message=f"(#100) {message}",
        details=message,
        whatsapp=whatsapp,
    )


def unknown_object(object_id: str, method: str, *, whatsapp: bool) -> GraphError:
    """Graph's answer when the token cannot reach ``object_id`` (code 100, subcode 33)."""
    return GraphError(
        400,
        code=100,
        subcode=33,
        type="GraphMethodException",
        message=(
            f"Unsupported {method.lower()} request. Object with ID '{object_id}' does not exist, "
            "cannot be loaded due to missing permissions, or does not support this operation."
        ),
        whatsapp=whatsapp,
    )


def oauth(message: str, *, subcode: int | None = None, status: int = 401) -> GraphError:
    """Error 190: unknown or expired access token. HTTP 401 on WhatsApp (its error table);
    Messenger and Instagram answer the same body with HTTP 400 (see :func:`for_channel`)."""
    return GraphError(status, code=190, subcode=subcode, message=message, type="OAuthException")


def missing_token(object_id: str) -> GraphError:
    """No access token at all: HTTP 400, code 2500 on ``/me/...`` (the current user is
    unknown), code 104 on an object's own endpoint; never 190."""
    if object_id == "me":
        return GraphError(
            400,
            code=2500,
            message="An active access token must be used to query information about the "
            "current user.",
        )
    return GraphError(
        400, code=104, message="An access token is required to request this resource."
    )


def for_channel(error: GraphError, *, whatsapp: bool) -> GraphError:
    """A token error as the channel answers it: 190 is HTTP 401 on WhatsApp only."""
    if error.code == 190 and not whatsapp:
        error.status = 400
    return error


INTERACTIVE_TITLE = "Parameter value is not valid"


def interactive_invalid(details: str) -> GraphError:
    """Error 131009 (HTTP 400) for an interactive message Meta refuses; what is wrong is in
    ``error_data.details`` (e.g. "Button title length invalid. Min length: 1, Max length: 20")."""
    return GraphError(
        400, code=131009, message=f"(#131009) {INTERACTIVE_TITLE}", details=details, whatsapp=True
    )
