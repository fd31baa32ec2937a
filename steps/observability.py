"""Observability steps: JSON log lines, stage order, secrets, Prometheus metrics (T4, T11, T12)."""

from __future__ import annotations

import time
from typing import Any

from prometheus_client.parser import text_string_to_metric_families
from pytest_bdd import given, parsers, then

from metasim.reports import evidence
from metasim.steps.poll import eventually
from metasim.steps.samples import first
from metasim.steps.vocabulary import STAGE
from metasim.steps.world import World

LOG_TIMEOUT = 5.0


def _message_lines(world: World) -> list[dict[str, Any]]:
    """Log lines of the sample's first message: its msg_id's lines plus its POST's ingress lines."""
    msg_id = first(world.require_payload()).msg_id
    lines = world.target.log_lines()
    cids = {ln.get("correlation_id") for ln in lines if ln.get("msg_id") == msg_id} - {None}
    return [ln for ln in lines if ln.get("msg_id") == msg_id or ln.get("correlation_id") in cids]


def _stages(lines: list[dict[str, Any]]) -> list[str]:
    order: list[str] = []
    for line in lines:
        stage = line.get("stage")
        if isinstance(stage, str) and stage in STAGE.words and stage not in order:
            order.append(stage)
    return order


@then("the gateway logs the stages in this order:")
def stage_order(world: World, datatable: list[list[str]]) -> None:
    """The message's log lines name these pipeline stages, in this order and no other."""
    want = [STAGE(row[0]) for row in datatable[1:]]
    lines = eventually(
        lambda: _message_lines(world),
        lambda got: len(_stages(got)) >= len(want),
        timeout=LOG_TIMEOUT,
    )
    evidence.record_logs(str(ln) for ln in lines)
    got = _stages(lines)
    assert got[: len(want)] == want, f"stages logged {got}, expected {want}"


@then(parsers.parse("the message's log lines stop at the {stage} stage"))
def stops_at(world: World, stage: str) -> None:
    """The message's last logged stage is this one: nothing after it ran."""
    want = STAGE(stage)
    lines = eventually(
        lambda: _message_lines(world), lambda got: want in _stages(got), timeout=LOG_TIMEOUT
    )
    got = _stages(lines)
    assert got and got[-1] == want, f"stages logged {got}, expected the last to be {want!r}"


@then("every log line has the fields:")
def every_line_has(world: World, datatable: list[list[str]]) -> None:
    """Every JSON log line written during the scenario carries these fields."""
    fields = [row[0] for row in datatable[1:]]
    lines = eventually(world.target.log_lines, bool, timeout=LOG_TIMEOUT)
    assert lines, "the gateway wrote no log line"
    broken = [ln for ln in lines if "_not_json" in ln]
    assert not broken, f"line {broken[0]['_line']} is not JSON: {broken[0]['_not_json'][:200]}"
    missing = [(f, ln) for ln in lines for f in fields if f not in ln]
    assert not missing, f"field {missing[0][0]!r} missing from {missing[0][1]}"


@then("one correlation id follows the message through every stage")
def one_correlation_id(world: World) -> None:
    """All log lines of the message share one non-empty correlation id, from parse to send."""
    lines = eventually(
        lambda: _message_lines(world), lambda got: "send" in _stages(got), timeout=LOG_TIMEOUT
    )
    ids = {ln.get("correlation_id") for ln in lines}
    assert len(ids) == 1 and None not in ids and "" not in ids, f"correlation ids seen: {ids}"
    assert "parse" in _stages(lines) and "send" in _stages(lines), _stages(lines)


@then("no log line contains a secret or token")
def no_secrets(world: World) -> None:
    """Neither the app secret, the verify token, the admin token nor any Graph token is logged."""
    text = eventually(world.target.raw_log_text, bool, timeout=LOG_TIMEOUT)
    config = world.target.config
    secrets = {
        "app secret": config.app_secret,
        "verify token": config.verify_token,
        "admin token": config.admin_token,
        **{f"{t.name} tenant token": t.token for t in config.tenants.values()},
    }
    leaked = [name for name, value in secrets.items() if value and value in text]
    assert not leaked, f"the log contains the {', '.join(leaked)}"


# -- metrics ------------------------------------------------------------------------------
def read_metrics(world: World) -> dict[str, float]:
    """The /metrics samples as {'name{label="v",...}': value} (labels sorted)."""
    response = world.target.endpoint("metrics")
    assert response.status_code == 200, f"/metrics answered {response.status_code}"
    values: dict[str, float] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            values[f"{sample.name}{{{labels}}}"] = sample.value
    return values


def _key(metric: str, labels: str) -> str:
    pairs = sorted(p.strip() for p in labels.split(",") if p.strip())
    return f"{metric}{{{','.join(pairs)}}}"


# Metrics are the gateway's, not the scenario's: traffic an earlier scenario left in flight (a
# status webhook the fake is still sending, a redelivery) would move them during this one. The
# "before" reading waits until nothing is pending and the metrics hold still for this long.
STILL_FOR = 0.3


@given("the metrics are read")
def metrics_before(world: World) -> None:
    """Remember every metric's value once the gateway is still, to compare after the
    scenario's deliveries."""
    callbacks = world.target.graph.app.callbacks
    eventually(lambda: callbacks.pending, lambda n: n == 0, timeout=LOG_TIMEOUT)
    previous = read_metrics(world)

    def still() -> bool:
        nonlocal previous
        time.sleep(STILL_FOR)
        now = read_metrics(world)
        unchanged, previous = _counts(now) == _counts(previous), now
        return unchanged

    eventually(still, bool, timeout=LOG_TIMEOUT, interval=0)
    world.metrics_before = previous


def _counts(metrics: dict[str, float]) -> dict[str, float]:
    """The samples that count traffic (counters, histogram counts): gauges and the process's
    own figures (CPU seconds, memory) move on their own."""
    return {k: v for k, v in metrics.items() if k.split("{")[0].endswith(("_total", "_count"))}


@then("the metrics have moved by:")
def metrics_moved(world: World, datatable: list[list[str]]) -> None:
    """Each metric (table: metric | labels | change) moved by exactly that amount."""
    assert world.metrics_before is not None, 'add "Given the metrics are read" first'
    before = world.metrics_before
    rows = [(m, labels, float(change)) for m, labels, change in datatable[1:]]

    def moved() -> list[tuple[str, float, float]]:
        now = read_metrics(world)
        return [
            (_key(m, lb), now.get(_key(m, lb), 0.0) - before.get(_key(m, lb), 0.0), want)
            for m, lb, want in rows
        ]

    result = eventually(moved, lambda got: all(d == w for _, d, w in got), timeout=LOG_TIMEOUT)
    wrong = [f"{k} moved by {d:g}, expected {w:g}" for k, d, w in result if d != w]
    assert not wrong, "; ".join(wrong)


@then("the metrics endpoint exposes:")
def metrics_exposed(world: World, datatable: list[list[str]]) -> None:
    """These metric families are present in the Prometheus text (table: metric)."""
    text = world.target.endpoint("metrics").text
    names = {f.name for f in text_string_to_metric_families(text)}
    missing = [row[0] for row in datatable[1:] if row[0].removesuffix("_total") not in names]
    assert not missing, f"/metrics lacks {missing}; has {sorted(names)}"
