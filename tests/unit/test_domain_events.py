"""Domain events from table changes (pure), and their documentation."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalicelib.domain import events

pytestmark = pytest.mark.unit
DOC = (Path(__file__).resolve().parents[2] / "docs" / "events.md").read_text(encoding="utf-8")
BASE = {"dossier_id": "D1", "procedure": "regular_spending_payment", "procedure_version": "347-2025",
        "unit_id": "1012345", "office_id": "KV1", "received_at": "2026-11-20T01:00:00Z"}


def dossier(status, seq, **more):
    return {**BASE, "status": status, "audit_seq": seq, "updated_at": f"2026-11-20T0{seq}:00:00Z",
            **more}


def names(old, new):
    return [e.name for e in events.from_dossier(old, new)]


def test_every_event_the_code_can_emit_is_documented():
    for name in events.ALL_EVENTS:
        assert f"`{name}`" in DOC, name


@pytest.mark.parametrize("before, after, expected", [
    (None, "under_review", "dossier.submitted"),
    ("under_review", "awaiting_supplement", "dossier.supplement_requested"),
    ("awaiting_supplement", "under_review", "dossier.resubmitted"),
    ("under_review", "awaiting_approval", "dossier.accepted"),
    ("awaiting_approval", "under_review", "dossier.sent_back"),
    ("awaiting_approval", "posting", "dossier.approved"),
    ("under_review", "activating", "dossier.accepted"),
    ("posting", "paid", "payment.posted"),
    ("posting", "recorded", "dossier.recorded"),
    ("under_review", "refused", "dossier.refused"),
    ("under_review", "reconciled", "dossier.reconciled"),
])
def test_each_status_change_names_its_event(before, after, expected):
    old = dossier(before, 1) if before else None
    assert names(old, dossier(after, 2)) == [expected]


def test_plumbing_changes_emit_nothing_and_escalations_and_extensions_do():
    waiting = dossier("under_review", 2, open_task_id="T1")
    assert names(dossier("under_review", 2), waiting) == []          # a task opened
    assert names(waiting, {**waiting, "alert_task_id": "T1-esc"}) == ["dossier.overdue"]
    extended = {**waiting, "due_at": "2026-11-25T10:00:00Z", "extensions": json.dumps([{"a": 1}])}
    assert names(waiting, extended) == ["dossier.deadline_extended"]


def test_the_event_id_is_the_change_so_a_replayed_record_is_recognised():
    first = events.from_dossier(dossier("posting", 4), dossier("paid", 5, result=json.dumps(
        {"outcome": "paid", "debit_advice": {"amount": 7}})))
    again = events.from_dossier(dossier("posting", 4), dossier("paid", 5, result=json.dumps(
        {"outcome": "paid", "debit_advice": {"amount": 7}})))
    assert first[0].event_id == again[0].event_id == "D1#5"
    assert first[0].envelope()["result"]["debit_advice"]["amount"] == 7


def test_balance_and_certificate_changes():
    old = {"pk": "ACCOUNT#A", "account_id": "A", "unit_id": "U", "balance": 100, "version": 3}
    new = {**old, "balance": 60, "version": 4, "last_dossier_id": "D9"}
    (moved,) = events.from_account(old, new)
    assert (moved.name, moved.event_id, moved.detail["delta"]) == ("balance.changed", "A#4", -40)
    assert events.from_account(old, {**old, "version": 4, "status": "closed"}) == []
    assert events.from_account(None, new) == []   # an account created is not a movement
    cert = {"fingerprint": "F", "holder": "unit#1012345", "status": "pending", "title": "chief_accountant"}
    assert [e.name for e in events.from_certificate(None, cert)] == ["certificate.registered"]
    assert [e.name for e in events.from_certificate(cert, {**cert, "status": "active"})] == \
        ["certificate.activated"]
    revoked = events.from_certificate(cert, {**cert, "status": "revoked", "revocation_reason": "mất"})
    assert (revoked[0].name, revoked[0].detail["unit_id"]) == ("certificate.revoked", "1012345")


def test_a_supplement_request_carries_what_is_missing():
    (asked,) = events.from_dossier(dossier("under_review", 2), dossier(
        "awaiting_supplement", 3, last_reason="Thiếu hóa đơn cước internet."))
    assert asked.detail["reason"] == "Thiếu hóa đơn cước internet."
    (accepted,) = events.from_dossier(dossier("under_review", 4, last_reason="cũ"),
                                      dossier("awaiting_approval", 5, last_reason=None))
    assert accepted.detail["reason"] is None


def test_a_returned_payroll_line_is_an_event_naming_the_line_but_not_the_payee():
    paid = dossier("paid", 5)
    returned = dossier("paid", 6, returned_lines=json.dumps({"41": {
        "amount": 7_300_000, "code": "wrong_account", "reason": "Sai số tài khoản",
        "returned_at": "2026-11-21T02:00:00Z", "credited_at": "2026-11-21T02:00:01Z"}}))
    [event] = events.from_dossier(paid, returned)
    assert (event.name, event.event_id) == ("payment.line_returned", "D1#6")
    assert event.detail["returned_line"] == {
        "line": 42, "amount": 7_300_000, "code": "wrong_account", "reason": "Sai số tài khoản",
        "credited_at": "2026-11-21T02:00:01Z"}
    assert event.detail["reason"] == "Sai số tài khoản"
    # The same record again (a redelivered stream record) adds no line: no second event.
    assert names(returned, {**returned, "audit_seq": 7}) == []
