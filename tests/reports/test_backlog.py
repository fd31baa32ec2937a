"""The backlog map and the TRACKING table recomputed from results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from metasim.reports import backlog
from tests.reports.factory import scenario


def test_backlog_json_lists_every_ticket_of_the_seed_backlog() -> None:
    tickets = backlog.load().tickets
    expected = [f"P0-0{i}" for i in range(1, 7)] + [f"P1-0{i}" for i in range(1, 7)]
    expected += [f"P2-0{i}" for i in range(1, 6)]
    assert list(tickets) == expected
    # the TRACKING table of BACKLOG-meta-prod.md, ranges expanded
    assert tickets["P0-01"].tests == ["T2.01", "T2.02", "T2.03", "T2.04", "T2.05", "T2.06"]
    assert tickets["P0-02"].tests == ["T2.07", "T2.08"]
    assert tickets["P0-03"].tests == ["T2.09", "T2.10", "T2.11"]
    assert tickets["P0-04"].tests == ["T8.12", "T8.13"]
    assert tickets["P0-05"].tests == ["T3.*"]
    assert tickets["P0-06"].tests == ["T4.*"]
    assert tickets["P1-01"].tests == ["T2.12"]
    assert tickets["P1-02"].tests == ["T2.06"]
    assert tickets["P1-03"].tests == ["T10.04"]
    assert tickets["P1-04"].tests == ["T14.05"]
    assert tickets["P1-06"].tests == ["T9.03"]
    for key in ("P1-05", "P2-01", "P2-02", "P2-03", "P2-04", "P2-05"):
        assert tickets[key].tests == [], key
    assert tickets["P0-01"].title == "Parsing Meta Natif WhatsApp"
    assert [k for k, t in tickets.items() if t.tracking == "DONE"] == expected[:6]


def test_status_rules() -> None:
    ticket = backlog.Ticket(
        "P1-01", "P1", "Gestion Multi-Entry Batch", "", "", "TODO", ["T2.12"], []
    )
    passed = scenario("a", id="T2.12", tickets=["P1-01"])
    failed = scenario("b", "failed", tickets=["P1-01"])
    na = scenario("c", "not_applicable", tickets=["P1-01"])
    skipped = scenario("d", "skipped", tickets=["P1-01"])
    assert backlog.status([passed], []) == backlog.DONE
    assert backlog.status([passed, failed], []) == backlog.FAILING
    assert backlog.status([passed, na], []) == backlog.PARTIAL
    assert backlog.status([passed], ["T2.13"]) == backlog.PARTIAL
    assert backlog.status([na, skipped], []) == backlog.UNTESTED
    assert backlog.status([], []) == backlog.UNTESTED
    # membership: the ticket tag, or one of the ticket's test ids without the tag
    untagged = scenario("e", id="T2.12")
    other = scenario("f", id="T2.13")
    assert backlog.members(ticket, [passed, failed, untagged, other]) == [passed, failed, untagged]


def test_section_wildcards_and_missing_ids() -> None:
    rows = backlog.ticket_rows(
        backlog.load(),
        [
            scenario("s1", id="T3.01"),
            scenario("s2", id="T3.14", outcome="failed"),
            scenario("s3", id="T2.01", tickets=["P0-01"]),
            scenario("s4", id="T2.99", tickets=["P9-99"]),
        ],
    )
    by_key = {r["ticket"].key: r for r in rows}
    assert [s.nodeid for s in by_key["P0-05"]["scenarios"]] == ["s1", "s2"]
    assert by_key["P0-05"]["status"] == "failing"
    assert by_key["P0-01"]["status"] == "partial"
    assert by_key["P0-01"]["missing"] == ["T2.02", "T2.03", "T2.04", "T2.05", "T2.06"]
    assert by_key["P2-04"]["status"] == "untested" and by_key["P2-04"]["scenarios"] == []
    # a ticket tag the map does not know still gets a row, flagged
    assert by_key["P9-99"]["known"] is False and by_key["P9-99"]["status"] == "done"
    assert list(by_key)[-1] == "P9-99"


def test_malformed_backlog_names_the_ticket(tmp_path: Path) -> None:
    path = tmp_path / "backlog.json"
    path.write_text(json.dumps({"tickets": {"P0-01": {"priority": "P0", "title": "x"}}}))
    with pytest.raises(backlog.BacklogError, match="ticket P0-01 lacks tests"):
        backlog.load(path)
    path.write_text(json.dumps({"tickets": {"T2": {"priority": "P0", "title": "x", "tests": []}}}))
    with pytest.raises(backlog.BacklogError, match="'T2' is not shaped like P0-01"):
        backlog.load(path)


def test_a_gateway_doing_exactly_the_done_tickets_reproduces_tracking() -> None:
    # every scenario the backlog names for a DONE ticket passes; those of TODO tickets fail
    # (the batch, the statuses, the timestamps, health, the DLQ); the T4 batch scenario is
    # tagged P1-01 too, and a T5 scenario tagged P0-06 is not among P0-06's named tests
    book = backlog.load()
    results = [scenario(f"s{i}", id=f"T2.0{i}", tickets=["P0-01"]) for i in range(1, 6)]
    results += [
        scenario("s6", "failed", id="T2.06", tickets=["P0-01", "P1-02"]),
        scenario("s7", id="T2.07", tickets=["P0-02"]),
        scenario("s8", id="T2.08", tickets=["P0-02"]),
        scenario("s9", id="T2.09", tickets=["P0-03"]),
        scenario("s10", id="T2.10", tickets=["P0-03"]),
        scenario("s11", id="T2.11", tickets=["P0-03"]),
        scenario("s12", "failed", id="T2.12", tickets=["P1-01"]),
        scenario("s13", id="T8.12", tickets=["P0-04"]),
        scenario("s14", id="T8.13", tickets=["P0-04"]),
        scenario("s15", id="T3.01", tickets=["P0-05"]),
        scenario("s16", id="T4.01", tickets=["P0-06"]),
        scenario("s17", "failed", id="T4.02", tickets=["P0-06", "P1-01"]),
        scenario("s18", "failed", id="T5.05", tickets=["P0-06", "P1-01"]),
        scenario("s19", "failed", id="T10.04", tickets=["P1-03"]),
        scenario("s20", "failed", id="T14.05", tickets=["P1-04"]),
        scenario("s21", "failed", id="T9.03", tickets=["P1-06"]),
    ]
    rows = {r["ticket"].key: r for r in backlog.ticket_rows(book, results)}
    for key, ticket in book.tickets.items():
        want = "done" if ticket.tracking == "DONE" else ("failing", "untested")
        got = rows[key]["status"]
        assert got == want or got in want, f"{key}: {got}, the backlog says {ticket.tracking}"
    # s17 is named (T4.*) but also TODO P1-01's; s18 is tagged, not named: both only related
    assert [s.nodeid for s in rows["P0-06"]["related"]] == ["s17", "s18"]
    assert "s18" in [s.nodeid for s in backlog.beyond(book, results)]
