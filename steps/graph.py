"""Fake Graph API steps: the replies the gateway sends, and Graph failures injected on purpose."""

from __future__ import annotations

from collections import Counter
from typing import Any

from pytest_bdd import given, parsers, then

from metasim.reports import evidence
from metasim.simulator.graph.errors import entry
from metasim.simulator.graph.recorder import RecordedCall
from metasim.steps.poll import stays
from metasim.steps.samples import first, inbound
from metasim.steps.targets.fake_graph import FAULT_CODES, RETRYABLE
from metasim.steps.vocabulary import GRAPH_FAULT, TENANT
from metasim.steps.waiting import (
    REPLY_TIMEOUT,
    describe_calls,
    nothing_seen,
    wait_for_calls,
    wait_for_sends,
)
from metasim.steps.world import World

# The Retry-After the suite's rate-limit faults ask for. Three seconds is a wait no common fixed
# back-off lands on by chance (1 s is n8n's "Retry On Fail" default, 2 s the next usual one, and
# an exponential 1 s then 2 s reaches 3 s only at the third attempt), so a gateway passes the
# Retry-After check only by reading the header.
RETRY_AFTER_SECONDS = 3


def replies(world: World, count: int, check: str = "") -> list[RecordedCall]:
    """Wait until ``count`` sends are seen (or the gateway went quiet), then check no more
    arrive during the settle window. Later sends are still caught by the late audit."""
    # a big batch takes the gateway longer before its first reply too: 50 ms more per expected
    # reply (the wait then goes on for as long as replies keep coming: steps/waiting.py)
    timeout = REPLY_TIMEOUT + 0.05 * count
    seen = wait_for_sends(world, lambda calls: len(calls) >= count, timeout=timeout, expected=count)
    # one settle window per scenario and count: later checks of the same replies reuse it
    if len(seen) == count and world.notes.get("settled") != count:
        window = world.target.config.settle_seconds
        seen = stays(world.sends, lambda calls: len(calls) <= count, window=window)
        world.notes["settled"] = len(seen)
    if len(seen) == count:
        world.target.graph.ledger.allow(
            world.owned, "sends", count, check or f"exactly {count} sends"
        )
    evidence.record_graph_calls(c.to_dict() for c in seen)
    return seen


def the_reply(world: World) -> RecordedCall:
    """The scenario's one reply; a failure says what was seen instead (none, or several)."""
    seen = replies(world, 1, "exactly 1 reply")
    if not seen:
        raise AssertionError(nothing_seen(world, "a reply"))
    if len(seen) > 1:
        raise AssertionError(
            f"expected one reply, the fake Graph API received {len(seen)}: "
            f"{describe_calls(seen)}{_loops(world)}"
        )
    return seen[0]


def _loops(world: World) -> str:
    loops = world.owned.loops
    return "".join(f"\n{loop.describe()}" for loop in loops)


@then(parsers.parse("the fake Graph API receives exactly {count:d} reply"))
@then(parsers.parse("the fake Graph API receives exactly {count:d} replies"))
def exactly(world: World, count: int) -> None:
    """Exactly this many sends reach the fake Graph API (waits, then watches the settle window)."""
    seen = replies(world, count, f"the fake Graph API receives exactly {count} replies")
    if count and not seen:
        raise AssertionError(nothing_seen(world, f"{count} repl{'y' if count == 1 else 'ies'}"))
    assert len(seen) == count, (
        f"expected {count} send{'' if count == 1 else 's'} to this scenario's users, "
        f"saw {len(seen)}: "
        f"{describe_calls(seen)}{_loops(world)}"
    )


@then(parsers.parse("the fake Graph API receives at most {count:d} reply"))
def at_most(world: World, count: int) -> None:
    """No more than this many sends (a gateway may answer the event or ignore it)."""
    # one settle window: a send past the limit ends it at once; later ones meet the audit
    seen = stays(
        world.sends, lambda calls: len(calls) <= count, window=world.target.config.settle_seconds
    )
    evidence.record_graph_calls(c.to_dict() for c in seen)
    assert len(seen) <= count, (
        f"expected at most {count} sends to this scenario's users, saw {len(seen)}: "
        f"{describe_calls(seen)}{_loops(world)}"
    )
    world.target.graph.ledger.allow(world.owned, "sends", count, f"at most {count} reply")


@then("the fake Graph API receives no reply")
def no_reply(world: World) -> None:
    """No send reaches the fake Graph API during the settle window."""
    exactly(world, 0)


@then("the reply goes to the sender of the sample")
def to_sender(world: World) -> None:
    """The one reply is addressed to the sample's sender (phone, BSUID, PSID or IGSID)."""
    call = the_reply(world)
    sender = first(world.require_payload()).sender
    assert call.recipient == sender, f"reply went to {call.recipient!r}, sender was {sender!r}"


@then(parsers.parse('the reply text is "{text}"'))
def reply_text(world: World, text: str) -> None:
    """The one reply carries exactly this text."""
    call = the_reply(world)
    got = _text(call.body)
    assert got == text, f"reply text was {got!r}, expected {text!r}"


@then("the reply text is the content of the sample's message")
def reply_carries_content(world: World) -> None:
    """The one reply echoes what the user wrote or chose: text, caption, button or row title."""
    message = first(world.require_payload())
    if message.content is None:
        raise AssertionError(
            f"the sample's {message.type} message carries no words (no text, caption or title): "
            "use this step with a sample that has some"
        )
    got = _text(the_reply(world).body)
    assert got == message.content, (
        f"reply text was {got!r}; the sample's {message.type} message says {message.content!r}"
    )


@then("every message of the sample gets exactly one reply")
def one_reply_each(world: World) -> None:
    """One send per user message of the sample (all entries, changes, messages), none twice."""
    messages = inbound(world.require_payload())
    seen = replies(world, len(messages), "every message of the sample gets exactly one reply")
    if messages and not seen:
        raise AssertionError(nothing_seen(world, f"one reply to each of {len(messages)} messages"))
    want = Counter(m.sender for m in messages)
    got = Counter(c.recipient for c in seen)
    unanswered = sorted(set(want) - set(got))
    doubled = sorted(user for user, n in got.items() if n > want.get(user, 0))
    assert got == want, (
        f"{len(seen)} replies for {len(messages)} messages: {len(unanswered)} sender(s) never "
        f"answered (e.g. {unanswered[:5]}), {len(doubled)} answered too often (e.g. "
        f"{doubled[:5]}): {describe_calls(seen)}{_loops(world)}"
    )


@then("every reply is accepted by the fake Graph API")
def accepted(world: World) -> None:
    """Every send so far validated against the Graph schema, token and version (HTTP 200)."""
    sends = world.sends()
    if not sends:
        raise AssertionError(nothing_seen(world, "a send"))
    bad = [c for c in sends if c.status != 200]
    detail = "; ".join(f"#{c.seq} {c.status} {c.response}" for c in bad)
    assert not bad, f"the fake Graph API refused: {detail}"


@then(parsers.parse("the reply is sent as the {tenant} tenant"))
def sent_as_tenant(world: World, tenant: str) -> None:
    """The reply goes to that tenant's number / Page / IG account path, accepted with its token."""
    call = the_reply(world)
    ids = world.tenant_ids(TENANT(tenant))
    allowed = {ids.phone_number_id, ids.page_id, ids.ig_account_id}
    assert call.tenant in allowed, f"reply sent for {call.tenant!r}, expected one of {allowed}"
    assert call.status == 200, f"fake Graph API refused the token: {call.status} {call.response}"


@then("the reply has:")
def reply_has(world: World, datatable: list[list[str]]) -> None:
    """Fields of the one reply's JSON body (table: field | value; dotted paths)."""
    call = the_reply(world)
    _, *rows = datatable
    for path, want in rows:
        got = _dig(call.body, path)
        assert str(got) == want, f"reply {path} = {got!r}, expected {want!r}"


@given(parsers.parse("the fake Graph API fails the next {times:d} sends with {fault}"))
@given(parsers.parse("the fake Graph API fails the next send with {fault}"))
def fail_next(world: World, fault: str, times: int = 1) -> None:
    """Answer the next sends with a Graph error: temporary outage, rate limit, expired token ..."""
    name = GRAPH_FAULT(fault)
    # rate limits carry a Retry-After the harness chooses (see RETRY_AFTER_SECONDS)
    wait = RETRY_AFTER_SECONDS if name in ("rate_limit", "throughput") else None
    fault_id = world.target.graph.fail(name, times=times, users=world.owned.users, retry_after=wait)
    world.owned.fault_ids.append(fault_id)
    world.owned.retryable_faults |= name in RETRYABLE
    world.notes["retry_after"] = wait
    evidence.exercised(graph_error_code=FAULT_CODES[name])


@given(parsers.parse("the fake Graph API answers the next send with Graph error {code}"))
def fail_next_code(world: World, code: str) -> None:
    """Answer the next send with any error of the Graph error catalogue, by its code."""
    key = entry(code).key  # an unknown code lists the catalogue
    fault_id = world.target.graph.fail_code(key, times=1, users=world.owned.users)
    world.owned.fault_ids.append(fault_id)
    world.owned.retryable_faults |= bool(entry(key).is_transient)
    evidence.exercised(graph_error_code=key)


@given(parsers.parse("the fake Graph API fails every send with {fault}"))
def fail_always(world: World, fault: str) -> None:
    """Answer every send with a Graph error until the scenario ends."""
    name = GRAPH_FAULT(fault)
    fault_id = world.target.graph.fail(name, times=None, users=world.owned.users)
    world.owned.fault_ids.append(fault_id)
    world.owned.retryable_faults |= name in RETRYABLE
    evidence.exercised(graph_error_code=FAULT_CODES[name])


@then(parsers.parse("the fake Graph API sees {count:d} send attempts"))
def attempts(world: World, count: int) -> None:
    """This many send requests arrive in total, failed ones included."""
    seen = wait_for_sends(world, lambda calls: len(calls) >= count, timeout=REPLY_TIMEOUT)
    if len(seen) == count:
        seen = stays(
            world.sends,
            lambda calls: len(calls) <= count,
            window=world.target.config.settle_seconds,
        )
    evidence.record_graph_calls(c.to_dict() for c in seen)
    if count and not seen:
        raise AssertionError(nothing_seen(world, f"{count} send attempts"))
    assert len(seen) == count, (
        f"expected {count} send attempts, saw {len(seen)}: {describe_calls(seen)}{_loops(world)}"
    )
    world.target.graph.ledger.allow(
        world.owned, "sends", count, f"the fake Graph API sees {count} send attempts"
    )


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
    call = the_reply(world)
    allowed = [row[0] for row in datatable[1:]]
    got = _text(call.body)
    assert got in allowed, f"reply text was {got!r}, expected one of {allowed}"


@then("the reply is posted to the target's Graph API version")
def target_graph_version(world: World) -> None:
    """The one reply's URL path starts with the version the target file names ([graph])."""
    version = world.target.config.graph_version
    call = the_reply(world)
    assert call.path.startswith(f"/{version}/"), f"reply posted to {call.path}, not {version}"


@then("the fake Graph API sees a media lookup for the sample's media id")
def media_lookup(world: World) -> None:
    """The gateway asked Graph for the URL of the WhatsApp media id the sample carries."""
    media_id = _media_id(world.require_payload())
    graph = world.target.graph
    calls = wait_for_calls(
        world, lambda: [c for c in graph.calls(method="GET") if media_id in c.path]
    )
    evidence.record_graph_calls(c.to_dict() for c in calls)
    assert calls, f"no GET /{media_id} reached the fake Graph API"


def _media_id(payload: dict[str, Any]) -> str:
    try:
        message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
        return str(message[message["type"]]["id"])
    except (KeyError, IndexError, TypeError):
        raise AssertionError(
            "this step needs a WhatsApp media sample (wa.image, wa.document ...): "
            "the sample carries no media id"
        ) from None
