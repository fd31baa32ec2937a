"""Outbox steps: retries, Retry-After, the dead-letter queue and its replay (T9, P1-06)."""

from __future__ import annotations

from pytest_bdd import parsers, then, when

from metasim.reports import evidence
from metasim.steps.poll import eventually, stays
from metasim.steps.waiting import describe_calls, nothing_seen, wait_for_accepted, wait_for_sends
from metasim.steps.world import World

DLQ_TIMEOUT = 10.0


@then(parsers.parse("the fake Graph API accepts exactly {count:d} reply"))
@then(parsers.parse("the fake Graph API accepts exactly {count:d} replies"))
def accepted_exactly(world: World, count: int) -> None:
    """Exactly this many sends are accepted (2xx), whatever failed before them."""
    seen = wait_for_accepted(world, lambda c: len(c) >= count, timeout=DLQ_TIMEOUT)
    if len(seen) == count:
        # and none after: exactly one reply per inbound message, also under retries
        window = world.target.config.settle_seconds
        seen = stays(world.accepted, lambda c: len(c) <= count, window=window)
    evidence.record_graph_calls(c.to_dict() for c in world.sends())
    if count and not world.sends():
        raise AssertionError(
            nothing_seen(world, f"{count} accepted repl{'y' if count == 1 else 'ies'}")
        )
    assert len(seen) == count, (
        f"{len(seen)} sends accepted, expected {count}; every send to this scenario's users: "
        f"{describe_calls(world.sends())}"
    )
    world.target.graph.ledger.allow(
        world.owned, "accepted", count, f"the fake Graph API accepts exactly {count} replies"
    )


@then(parsers.parse("the fake Graph API accepts at most {count:d} reply"))
def accepted_at_most(world: World, count: int) -> None:
    """No more than this many sends are accepted (the gateway may also give up)."""
    window = world.target.config.settle_seconds
    seen = stays(world.accepted, lambda c: len(c) <= count, window=window)
    evidence.record_graph_calls(c.to_dict() for c in world.sends())
    assert len(seen) <= count, (
        f"{len(seen)} sends accepted, at most {count} allowed: {describe_calls(world.sends())}"
    )
    world.target.graph.ledger.allow(world.owned, "accepted", count, f"at most {count} accepted")


@then("the retry waits at least the Retry-After delay")
def honours_retry_after(world: World) -> None:
    """The second send attempt comes no sooner than the Retry-After of the first answer."""
    wait = float(world.notes.get("retry_after") or 0)
    assert wait > 0, "no fault with a Retry-After was injected: nothing to honour"
    wait_for_sends(world, lambda c: len(c) >= 2, timeout=DLQ_TIMEOUT + wait)
    seen = world.target.graph.ledger.sightings(world.owned)
    assert len(seen) >= 2, f"no retry was made: {describe_calls([s.call for s in seen])}"
    # the spacing of the two attempts as the harness saw them; 50 ms for scheduling jitter
    gap = seen[1].at - seen[0].at
    assert gap >= wait - 0.05, (
        f"retried {gap:.2f} s after the refusal; its Retry-After asked for {wait:g} s"
    )


@then("the reply is dead-lettered")
def dead_lettered(world: World) -> None:
    """The dead-letter queue holds the reply (admin API; else the dlq_depth gauge rises)."""
    if "admin" in world.target.capabilities:
        items = eventually(lambda: _dlq_items(world), bool, timeout=DLQ_TIMEOUT)
        assert items, (
            f"no dead letter for messages {sorted(world.msg_ids)} in GET /admin/dlq; sends to "
            f"this scenario's users: {describe_calls(world.sends())}"
        )
        return
    from metasim.steps.observability import read_metrics

    depth = eventually(
        lambda: read_metrics(world).get("dlq_depth{}", 0.0), lambda v: v >= 1, timeout=DLQ_TIMEOUT
    )
    assert depth >= 1, f"dlq_depth is {depth:g}"


@when("the dead-letter queue is replayed through the admin API")
def admin_replay(world: World) -> None:
    """POST /admin/dlq/replay for this scenario's dead letters (bearer GATEWAY_ADMIN_TOKEN)."""
    items = eventually(lambda: _dlq_items(world), bool, timeout=DLQ_TIMEOUT)
    assert items, f"no dead letter to replay for messages {sorted(world.msg_ids)}"
    keys = [str(item["key"]) for item in items]
    response = world.target.admin("POST", "/dlq/replay", json={"keys": keys})
    assert response.status_code == 200, (
        f"replay answered {response.status_code}: {response.text[:200]}"
    )
    assert sorted(response.json().get("replayed", [])) == sorted(keys), response.text[:300]


@when("the fake Graph API recovers")
def graph_recovers(world: World) -> None:
    """Remove every injected Graph failure: later sends are answered normally."""
    world.target.graph.recover(world.owned.fault_ids)


def _dlq_items(world: World) -> list[dict[str, object]]:
    """Dead letters of this scenario's messages, from GET /admin/dlq."""
    response = world.target.admin("GET", "/dlq", params={"limit": "1000"})
    assert response.status_code == 200, f"GET /admin/dlq answered {response.status_code}"
    items = response.json().get("items", [])
    return [i for i in items if i.get("msg_id") in world.msg_ids]
