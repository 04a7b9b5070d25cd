"""Reconciliation statements, the pure rules: periods and when they are due, figures from the
ledger, the ledger's completeness, and what a reply and a resolution may say."""
from __future__ import annotations

from datetime import date

import pytest

from chalicelib.domain import commands, events
from chalicelib.domain import statements as rules
from chalicelib.domain.errors import DomainError

pytestmark = pytest.mark.unit


def due_keys(day: str) -> set[str]:
    return {p.key for p in rules.due(date.fromisoformat(day))}


@pytest.mark.parametrize("day, expected", [
    ("2026-11-01", {"2026-10"}),                        # the day after the month
    ("2026-11-10", {"2026-10"}),                        # the reply date: still issued
    ("2026-11-11", set()),                              # the window is closed
    ("2026-10-01", {"2026-09", "2026-Q3"}),             # a quarter ends with its third month
    ("2026-10-10", {"2026-09", "2026-Q3"}),
    ("2026-08-05", {"2026-07"}),                        # no quarter ended in July
    ("2027-01-01", {"2026-12", "2026-Q4", "2026"}),     # the year: issued from 1 January...
    ("2027-02-10", {"2027-01", "2026"}),                # ...until 10 February
    ("2027-02-11", set()),
    ("2026-12-31", set()),
])
def test_each_cadence_is_due_from_the_day_after_its_period_until_the_10th(day, expected):
    assert due_keys(day) == expected



def parse_reply(body, statement_id):
    """What a reply goes through: the edge's command, then the domain's rules."""
    return rules.parse_reply(commands.parse(commands.Submit, body), statement_id)


def parse_resolution(body):
    return rules.parse_resolution(commands.parse(commands.Resolve, body))

def test_periods_know_their_days_reply_date_and_local_bounds():
    february = rules.parse_period("2028-02")
    assert (february.first, february.last, february.reply_by) == \
        (date(2028, 2, 1), date(2028, 2, 29), date(2028, 3, 10))
    q4 = rules.parse_period("2026-Q4")
    assert (q4.cadence, q4.first, q4.last, q4.reply_by) == \
        ("quarterly", date(2026, 10, 1), date(2026, 12, 31), date(2027, 1, 10))
    year = rules.parse_period("2026")
    assert (year.cadence, year.reply_by) == ("annual", date(2027, 2, 10))
    # Local midnights (UTC+7) in UTC: 1 Oct 00:00 local is 30 Sep 17:00 UTC.
    assert q4.bounds() == ("2026-09-30T17:00:00Z", "2026-12-31T17:00:00Z")


@pytest.mark.parametrize("key", ["2026-13", "2026-Q5", "26-10", "2026-1", "x", None, 2026, "1999"])
def test_a_malformed_period_is_refused_with_its_field(key):
    with pytest.raises(DomainError) as err:
        rules.parse_period(key)
    assert (err.value.code, err.value.field) == ("invalid_period", "period")


def test_the_statement_id_is_the_same_for_the_same_account_and_period_only():
    oct_, nov = rules.parse_period("2026-10"), rules.parse_period("2026-11")
    assert rules.statement_id("3713.1.1012345", oct_) == rules.statement_id("3713.1.1012345", oct_)
    assert rules.statement_id("3713.1.1012345", oct_) != rules.statement_id("3713.1.1012345", nov)
    assert rules.statement_id("3713.1.1012345", oct_) != rules.statement_id("3713.1.1023456", oct_)


def entry(at, version, delta, balance):
    return rules.Entry(at, version, delta, balance, balance - delta, f"D{version}")


OCTOBER = rules.parse_period("2026-10")   # [2026-09-30T17:00Z, 2026-10-31T17:00Z)
LEDGER = [entry("2026-09-30T16:59:59Z", 2, -100, 900),    # 30 Sep local: before
          entry("2026-10-05T02:00:00Z", 3, -200, 700),
          entry("2026-10-20T02:00:00Z", 4, +50, 750),
          entry("2026-10-31T16:59:59Z", 5, -25, 725),     # 31 Oct 23:59:59 local: inside
          entry("2026-10-31T17:00:00Z", 6, -5, 720),      # 1 Nov 00:00 local: after
          entry("2026-11-02T02:00:00Z", 7, +80, 800)]


def test_figures_come_from_the_ledger_and_the_balance_now():
    since = [e for e in LEDGER if e.at >= OCTOBER.bounds()[0]]
    f = rules.figures(since, 800, OCTOBER)
    assert (f.opening, f.debits, f.credits, f.closing) == (900, 225, 50, 725)
    assert [line["dossier_id"] for line in f.lines] == ["D3", "D4", "D5"]
    assert f.lines[1] == {"posted_at": "2026-10-20T02:00:00Z", "dossier_id": "D4", "debit": 0,
                          "credit": 50, "balance": 750}
    quiet = rules.figures([], 800, OCTOBER)
    assert (quiet.opening, quiet.debits, quiet.credits, quiet.closing) == (800, 0, 0, 800)


def test_a_statement_keeps_at_most_its_line_limit_but_counts_every_line():
    many = [entry(f"2026-10-05T02:{i // 60:02d}:{i % 60:02d}Z", i + 2, -1, 10_000 - i - 1)
            for i in range(rules.MAX_LINES + 3)]
    f = rules.figures(many, 10_000 - len(many), OCTOBER)
    assert (len(f.lines), f.line_count, f.debits) == (rules.MAX_LINES, len(many), len(many))


def test_the_ledger_is_complete_when_it_reaches_the_balance_now_without_a_missing_change():
    before, since = LEDGER[0], LEDGER[1:]
    start = OCTOBER.bounds()[0]
    assert rules.ledger_gap(since, before, balance=800, updated_at=since[-1].at, since=start) is None
    # the newest change not recorded yet
    assert rules.ledger_gap(since[:-1], before, balance=800, updated_at=since[-1].at, since=start)
    # a change in the middle missing (versions 3 then 5)
    assert rules.ledger_gap([since[0], *since[2:]], before, balance=800, updated_at=since[-1].at,
                            since=start)
    # the first change of the period missing: the one before the period anchors the chain
    assert rules.ledger_gap(since[1:], before, balance=800, updated_at=since[-1].at, since=start)
    # nothing moved since the period began
    assert rules.ledger_gap([], before, balance=900, updated_at=before.at, since=start) is None
    assert rules.ledger_gap([], None, balance=900, updated_at=None, since=start) is None
    # the account moved, the ledger has not heard of it
    assert rules.ledger_gap([], before, balance=700, updated_at="2026-10-05T02:00:00Z",
                            since=start)


def reply(**content):
    return {"content": {"statement_id": "S1", **content}, "signatures": []}


def test_a_reply_names_its_statement_and_a_dispute_says_what_differs():
    content, answer = parse_reply(reply(answer="matches"), "S1")
    assert (answer.status, answer.details, content["statement_id"]) == ("confirmed", None, "S1")
    _, answer = parse_reply(reply(answer="disputes", details=" Thiếu 1 đồng ",
                                        book_balance=5), "S1")
    assert (answer.status, answer.details, answer.book_balance) == ("disputed", "Thiếu 1 đồng", 5)


@pytest.mark.parametrize("body, code, field", [
    (reply(answer="matches"), "statement_mismatch", "content.statement_id"),
    ({"content": {"answer": "matches"}}, "statement_mismatch", "content.statement_id"),
    ({"signatures": []}, "required", "content"),
    (reply(answer="yes"), "invalid_choice", "content.answer"),
    (reply(answer="disputes"), "details_required", "content.details"),
    (reply(answer="disputes", details="  "), "details_required", "content.details"),
    (reply(answer="disputes", details="x" * 2001), "details_required", "content.details"),
    (reply(answer="disputes", details="x", book_balance=-1), "invalid_amount",
     "content.book_balance"),
    (reply(answer="disputes", details="x", book_balance=1.5), "invalid_amount",
     "content.book_balance"),
])
def test_a_malformed_reply_is_refused_with_its_field(body, code, field):
    statement = "S2" if code == "statement_mismatch" and "statement_id" in body["content"] else "S1"
    with pytest.raises(DomainError) as err:
        parse_reply(body, statement)
    assert (err.value.code, err.value.field) == (code, field)


@pytest.mark.parametrize("body, code", [
    ({"outcome": "maybe", "reason": "x"}, "invalid_choice"),
    ({"outcome": "upheld"}, "reason_required"),
    ({"outcome": "upheld", "reason": "x" * 1001}, "reason_required"),
    ([], "invalid_type"),
])
def test_a_resolution_has_an_outcome_and_a_reason(body, code):
    with pytest.raises(DomainError) as err:
        parse_resolution(body)
    assert err.value.code == code
    assert parse_resolution({"outcome": "corrected", "reason": " Sửa sổ "}).reason == "Sửa sổ"


def statement_image(status, **more):
    return {"pk": "STATEMENT#S1", "sk": "STATEMENT", "statement_id": "S1",
            "account_id": "3713.1.1012345", "unit_id": "1012345", "office_id": "KV1",
            "period": "2026-10", "status": status, "updated_at": "2026-11-01T18:00:00Z",
            "opening_balance": 900, "closing_balance": 725, **more}


def test_statement_changes_become_events_named_by_status_and_identified_by_it():
    (issued,) = events.from_statement(None, statement_image("issued"))
    assert (issued.name, issued.event_id) == ("statement.issued", "S1#issued")
    assert issued.envelope()["closing_balance"] == 725
    (disputed,) = events.from_statement(
        statement_image("issued"),
        statement_image("disputed", reply='{"answer": "disputes", "details": "Thiếu"}'))
    assert (disputed.name, disputed.detail["details"]) == ("statement.disputed", "Thiếu")
    (resolved,) = events.from_statement(
        statement_image("disputed"),
        statement_image("resolved", resolution='{"outcome": "upheld", "reason": "Đúng"}'))
    assert (resolved.name, resolved.detail["outcome"]) == ("statement.resolved", "upheld")
    assert events.from_statement(statement_image("issued"), statement_image("issued")) == []
    assert events.from_statement(None, {"pk": "LEDGER#3713.1.1012345", "sk": "x"}) == []
    assert events.from_statement(None, {"pk": "COUNT#KV1#2026-10", "sk": "SHARD#1"}) == []
