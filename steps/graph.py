"""Fake Graph API steps: the replies the gateway sends, and Graph failures injected on purpose."""

from __future__ import annotations

from collections import Counter
from typing import Any

from pytest_bdd import given, parsers, then

from reports import evidence
from simulator.graph.errors import entry
from simulator.graph.recorder import RecordedCall
from steps.poll import eventually, stays
from steps.samples import first, inbound
from steps.targets.fake_graph import FAULT_CODES
from steps.vocabulary import GRAPH_FAULT, TENANT
from steps.world import World

REPLY_TIMEOUT = 5.0


def replies(world: World, count: int) -> list[RecordedCall]:
    """Wait until ``count`` sends are seen, then check no more arrive during the settle window."""
    seen = eventually(world.sends, lambda calls: len(calls) >= count, timeout=REPLY_TIMEOUT)
    # one settle window per scenario and count: later checks of the same replies reuse it
    if len(seen) == count and world.notes.get("settled") != count:
        window = world.target.config.settle_seconds
        seen = stays(world.sends, lambda calls: len(calls) <= count, window=window)
        world.notes["settled"] = len(seen)
    evidence.record_graph_calls(c.to_dict() for c in seen)
    return seen


def _describe(calls: list[RecordedCall]) -> str:
    return "; ".join(f"#{c.seq} {c.path} to={c.recipient} {c.status}" for c in calls) or "none"


@then(parsers.parse("the fake Graph API receives exactly {count:d} reply"))
@then(parsers.parse("the fake Graph API receives exactly {count:d} replies"))
def exactly(world: World, count: int) -> None:
    """Exactly this many sends reach the fake Graph API (waits, then watches the settle window)."""
    seen = replies(world, count)
    assert len(seen) == count, f"expected {count} sends, saw {len(seen)}: {_describe(seen)}"


@then("the fake Graph API receives no reply")
def no_reply(world: World) -> None:
    """No send reaches the fake Graph API during the settle window."""
    exactly(world, 0)


@then("the reply goes to the sender of the sample")
def to_sender(world: World) -> None:
    """The one reply is addressed to the sample's sender (phone, BSUID, PSID or IGSID)."""
    call = replies(world, 1)[-1]
    sender = first(world.require_payload()).sender
    assert call.recipient == sender, f"reply went to {call.recipient!r}, sender was {sender!r}"


@then(parsers.parse('the reply text is "{text}"'))
def reply_text(world: World, text: str) -> None:
    """The one reply carries exactly this text."""
    call = replies(world, 1)[-1]
    got = _text(call.body)
    assert got == text, f"reply text was {got!r}, expected {text!r}"


@then("every message of the sample gets exactly one reply")
def one_reply_each(world: World) -> None:
    """One send per user message of the sample (all entries, changes, messages), none twice."""
    messages = inbound(world.require_payload())
    seen = replies(world, len(messages))
    want = Counter(m.sender for m in messages)
    got = Counter(c.recipient for c in seen)
    assert got == want, f"replies per recipient {dict(got)} differ from messages {dict(want)}"


@then("every reply is accepted by the fake Graph API")
def accepted(world: World) -> None:
    """Every send so far validated against the Graph schema, token and version (HTTP 200)."""
    sends = world.sends()
    assert sends, "no send reached the fake Graph API"
    bad = [c for c in sends if c.status != 200]
    detail = "; ".join(f"#{c.seq} {c.status} {c.response}" for c in bad)
    assert not bad, f"the fake Graph API refused: {detail}"


@then(parsers.parse("the reply is sent as the {tenant} tenant"))
def sent_as_tenant(world: World, tenant: str) -> None:
    """The reply goes to that tenant's number / Page / IG account path, accepted with its token."""
    call = replies(world, 1)[-1]
    ids = world.target.config.tenant(TENANT(tenant))
    allowed = {ids.phone_number_id, ids.page_id, ids.ig_account_id}
    assert call.tenant in allowed, f"reply sent for {call.tenant!r}, expected one of {allowed}"
    assert call.status == 200, f"fake Graph API refused the token: {call.status} {call.response}"


@then("the reply has:")
def reply_has(world: World, datatable: list[list[str]]) -> None:
    """Fields of the one reply's JSON body (table: field | value; dotted paths)."""
    call = replies(world, 1)[-1]
    _, *rows = datatable
    for path, want in rows:
        got = _dig(call.body, path)
        assert str(got) == want, f"reply {path} = {got!r}, expected {want!r}"


@given(parsers.parse("the fake Graph API fails the next {times:d} sends with {fault}"))
@given(parsers.parse("the fake Graph API fails the next send with {fault}"))
def fail_next(world: World, fault: str, times: int = 1) -> None:
    """Answer the next sends with a Graph error: temporary outage, rate limit, expired token ..."""
    name = GRAPH_FAULT(fault)
    world.target.graph.fail(name, times=times)
    world.notes["retry_after"] = entry(FAULT_CODES[name]).retry_after
    evidence.exercised(graph_error_code=FAULT_CODES[name])


@given(parsers.parse("the fake Graph API fails every send with {fault}"))
def fail_always(world: World, fault: str) -> None:
    """Answer every send with a Graph error until the scenario ends."""
    name = GRAPH_FAULT(fault)
    world.target.graph.fail(name, times=None)
    evidence.exercised(graph_error_code=FAULT_CODES[name])


@then(parsers.parse("the fake Graph API sees {count:d} send attempts"))
def attempts(world: World, count: int) -> None:
    """This many send requests arrive in total, failed ones included."""
    seen = eventually(world.sends, lambda calls: len(calls) >= count, timeout=REPLY_TIMEOUT)
    seen = stays(
        world.sends, lambda calls: len(calls) <= count, window=world.target.config.settle_seconds
    )
    evidence.record_graph_calls(c.to_dict() for c in seen)
    assert len(seen) == count, f"expected {count} send attempts, saw {len(seen)}: {_describe(seen)}"


def _text(body: Any) -> str | None:
    if not isinstance(body, dict):
        return None
    if "text" in body and isinstance(body["text"], dict):
        return body["text"].get("body")  # WhatsApp
    message = body.get("message")
    return message.get("text") if isinstance(message, dict) else None  # Messenger / Instagram


def _dig(body: Any, path: str) -> Any:
    node = body
    for part in path.split("."):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return None
    return node


@then("the reply text is one of:")
def reply_text_one_of(world: World, datatable: list[list[str]]) -> None:
    """The one reply carries one of these texts (where Meta's field has two valid readings)."""
    call = replies(world, 1)[-1]
    allowed = [row[0] for row in datatable[1:]]
    got = _text(call.body)
    assert got in allowed, f"reply text was {got!r}, expected one of {allowed}"


@then(parsers.parse('the reply is posted to Graph API version "{version}"'))
def graph_version(world: World, version: str) -> None:
    """The one reply's URL path starts with this Graph API version (e.g. v25.0)."""
    call = replies(world, 1)[-1]
    assert call.path.startswith(f"/{version}/"), f"reply posted to {call.path}"


@then("the fake Graph API sees a media lookup for the sample's media id")
def media_lookup(world: World) -> None:
    """The gateway asked Graph for the URL of the WhatsApp media id the sample carries."""
    media_id = _media_id(world.require_payload())
    graph = world.target.graph
    calls = eventually(
        lambda: [c for c in graph.calls(method="GET") if media_id in c.path],
        bool,
        timeout=REPLY_TIMEOUT,
    )
    evidence.record_graph_calls(c.to_dict() for c in calls)
    assert calls, f"no GET /{media_id} reached the fake Graph API"


def _media_id(payload: dict[str, Any]) -> str:
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    return str(message[message["type"]]["id"])
