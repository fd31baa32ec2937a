"""The Graph endpoints, top to bottom: authenticate, parse, expect, validate, fault, limit, answer."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from metasim.simulator.graph import answers
from metasim.simulator.graph.errors import (
    GraphError,
    entry,
    for_channel,
    from_catalogue,
    interactive_invalid,
    invalid_parameter,
    oauth,
    unknown_object,
)
from metasim.simulator.graph.faults import HTML_ERROR_PAGE, Fault
from metasim.simulator.graph.incoming import Answer, Incoming
from metasim.simulator.graph.recorder import RecordedCall
from metasim.simulator.graph.routes import RouteMatch
from metasim.simulator.graph.tokens import TokenGrant, check_grants, extract_token
from metasim.simulator.graph.validation import check_instagram_text, interactive_problem

if TYPE_CHECKING:
    from metasim.simulator.graph.app import GraphApp


class Drop(Exception):
    """A fault that answers nothing: ``reset`` or ``no_answer`` (handled by the app)."""

    def __init__(self, fault: Fault) -> None:
        super().__init__(fault.action)
        self.fault = fault

    @property
    def how(self) -> str:
        """How the answer is lost: "reset" or "no_answer"."""
        return self.fault.lose_as if self.fault.action == "lost_answer" else self.fault.action


class LostAnswer(Drop):
    """``lost_answer`` on a send: it was accepted (``answer`` is what Meta would have said),
    then the answer never reaches the client."""

    def __init__(self, fault: Fault, answer: Answer) -> None:
        super().__init__(fault)
        self.answer = answer


def authorize(app: GraphApp, req: Incoming, object_id: str, *, whatsapp: bool) -> TokenGrant:
    """The grant letting this request's token act on ``object_id``; Graph errors 190 / 100."""
    try:
        grants = app.tokens.authenticate(extract_token(req.headers, req.query), object_id)
    except GraphError as exc:
        raise for_channel(exc, whatsapp=whatsapp) from None
    if req.instagram:
        # graph.instagram.com only knows Instagram user tokens
        grants = [g for g in grants if g.channel == "ig"]
        if not grants:
            raise oauth("Invalid OAuth access token - Cannot parse access token", status=400)
    channels = ("wa",) if whatsapp else ("ig",) if req.instagram else ("msg", "ig")
    grant = check_grants(grants, object_id, channels)
    if grant is None:
        raise unknown_object(object_id, req.method, whatsapp=whatsapp)
    return grant


def describe_send(call: RecordedCall, body: Any) -> None:
    """Fill the call's channel-independent fields (recipient, type, kind) from the body."""
    if not isinstance(body, dict):
        return
    if "messaging_product" in body:
        if "status" in body:
            call.kind, call.type = "mark_read", "read"
            return
        call.kind, call.type = "send", str(body.get("type", "text"))
        if isinstance(body.get("to"), str):
            call.recipient = answers.wa_id_of(body["to"])
        elif isinstance(body.get("recipient"), str):
            call.recipient = body["recipient"]
        return
    call.kind = "send"
    recipient = body.get("recipient")
    if isinstance(recipient, dict):
        call.recipient = recipient.get("id") or recipient.get("user_ref")
    message = body.get("message")
    if isinstance(message, dict):
        attachment = message.get("attachment")
        call.type = attachment.get("type") if isinstance(attachment, dict) else "text"
    elif "sender_action" in body:
        call.kind, call.type = "sender_action", str(body["sender_action"])


def expected(app: GraphApp, call: RecordedCall) -> None:
    """In expectation mode, refuse a call no expectation allows (HTTP 500, says why)."""
    expectations = app.recorder.expectations
    if expectations is not None and not expectations.admit(call):
        call.unexpected = True
        raise GraphError(
            500,
            code=1,
            message=(
                f"metasim expectation mode: unexpected call {call.method} {call.path} "
                f"(channel={call.channel}, recipient={call.recipient}, type={call.type})"
            ),
        )


async def apply_faults(
    app: GraphApp, call: RecordedCall, *, whatsapp: bool, accepts: bool = False
) -> Fault | None:
    """Sleep scripted latency; raise the scripted failure; return a fault that answers after
    accepting (``failed_status``, and ``lost_answer`` on a route that ``accepts`` sends; on
    other routes a lost answer is a plain drop, as nothing was accepted)."""
    decision = app.faults.decide(call)
    if decision.delay > 0:
        await asyncio.sleep(decision.delay)
    fault = decision.fault
    if fault is None:
        return None
    call.fault = fault.id
    if fault.action == "error":
        assert fault.code is not None
        raise from_catalogue(
            fault.code,
            whatsapp=whatsapp,
            rate_limit_status=app.config.rate_limit_status,
            status=fault.status,
            retry_after=fault.retry_after,
            details=fault.details,
            retry_after_header=app.config.retry_after_header,
            is_transient=app.config.is_transient_field,
        )
    if fault.action == "http":
        assert fault.status is not None
        raise HtmlFailure(fault.status)
    if fault.action in ("reset", "no_answer") or (fault.action == "lost_answer" and not accepts):
        raise Drop(fault)
    return fault  # failed_status, lost_answer


class HtmlFailure(Exception):
    """A 5xx answered with an HTML page, as Meta's edge does in an outage."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.answer = Answer(status, HTML_ERROR_PAGE, media_type="text/html")


def limit_error(app: GraphApp, key: str | None, *, whatsapp: bool) -> str | None:
    """Raise the catalogue error a limit hit, if any; return it instead when Meta reports that
    code asynchronously (200 + a ``failed`` status webhook) and ``async_failures`` is on."""
    if key is None:
        return None
    if whatsapp and app.config.async_failures and entry(key).asynchronous:
        return key
    raise from_catalogue(
        key,
        whatsapp=whatsapp,
        rate_limit_status=app.config.rate_limit_status,
        retry_after_header=app.config.retry_after_header,
        is_transient=app.config.is_transient_field,
    )


async def messages(app: GraphApp, req: Incoming, call: RecordedCall, m: RouteMatch) -> Answer:
    """POST /{v}/{id}/messages: WhatsApp send / mark-as-read, Messenger / Instagram send."""
    try:
        body: Any = req.json()
    except ValueError:
        body = None
    call.body = body if body is not None else req.body.decode("utf-8", "replace")[:4096]
    describe_send(call, body)
    whatsapp_like = isinstance(body, dict) and "messaging_product" in body
    grant = authorize(app, req, m.object_id, whatsapp=whatsapp_like)
    call.channel, call.tenant = grant.channel, grant.tenant_id
    whatsapp = grant.channel == "wa"
    expected(app, call)
    if not isinstance(body, dict):
        raise invalid_parameter("The request body must be a JSON object.", whatsapp=whatsapp)
    if whatsapp:
        kind = "wa-mark-read" if call.kind == "mark_read" else "wa-send"
        if kind == "wa-send" and body.get("type") == "interactive":
            problem = interactive_problem(body.get("interactive"))
            if problem is not None:
                raise interactive_invalid(problem)
        app.validator.check(kind, body, whatsapp=True)
    else:
        app.validator.check("msgr-send", body, whatsapp=False)
        if grant.channel == "ig":
            check_instagram_text(body, app.config.instagram_text_limit)
    fault = await apply_faults(app, call, whatsapp=whatsapp, accepts=True)
    fail_code = fault.code if fault is not None and fault.action == "failed_status" else None
    answer = _whatsapp(app, call, body, fail_code) if whatsapp else _page(app, call, body)
    if fault is not None and fault.action == "lost_answer" and answer.status == 200:
        raise LostAnswer(fault, answer)  # accepted: ids issued, status webhooks planned
    return answer


def _whatsapp(app: GraphApp, call: RecordedCall, body: dict[str, Any], fail: str | None) -> Answer:
    if call.kind == "mark_read":
        return Answer(200, answers.SUCCESS)
    number, recipient = call.tenant or "", call.recipient or ""
    template = call.type == "template"
    late = limit_error(
        app, app.limits.check_whatsapp(number, recipient, not template), whatsapp=True
    )
    fail = fail or late
    wamid = app.ids.wamid(recipient)
    opaque = body.get("biz_opaque_callback_data")
    app.callbacks.whatsapp(
        number,
        wamid,
        recipient,
        template=template,
        fail_code=fail,
        opaque=opaque if isinstance(opaque, str) else None,
    )
    return Answer(200, answers.whatsapp_sent(body, wamid, template=template))


def _page(app: GraphApp, call: RecordedCall, body: dict[str, Any]) -> Answer:
    page, recipient = call.tenant or "", call.recipient or ""
    if recipient == page:
        # a Page or IG account messaging itself (a gateway answering its own echo): Meta finds
        # no such user, and so no echo or receipt comes back to feed a loop
        raise from_catalogue("2018001", whatsapp=False)
    tagged = body.get("messaging_type") == "MESSAGE_TAG"
    # a sender action is a Send API call too (page rate), but opens no message to deliver
    action = call.kind == "sender_action"
    limit_error(app, app.limits.check_page(page, recipient, tagged or action), whatsapp=False)
    if action:
        return Answer(200, answers.page_sent(recipient, None))
    mid = app.ids.mid()
    message = body.get("message")
    app.callbacks.page(
        call.channel or "msg",
        page,
        mid,
        recipient,
        message=message if isinstance(message, dict) else None,
    )
    return Answer(200, answers.page_sent(recipient, mid))
