"""Balance reconciliation (Decree 347/2025 Art. 10) through the API and the real workflow: the
unit sends its form (Mẫu 32 for a deposit account), the product computes the same form from the
ledger and compares it line by line; a mismatch goes back to the unit, who reconciles again
within 1 working day (Art.10 cl.2 pt.c), or shows as overdue. The older shape (a book balance)
still works."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest

import signtool
from chalicelib import clock, composition
from chalicelib.domain.calendar import local_date
from chalicelib.domain.commands import Submit
from chalicelib.domain.commands import parse as command
from chalicelib.services import dossiers
from tests.conftest import eventually
from tests.integration.flow import Flow

pytestmark = pytest.mark.integration
ACCOUNT = "3713.1.1012345"   # unit 1012345's deposit account


def last_month() -> tuple[str, str]:
    """The last whole month before the clock's today: a period that is over."""
    first_of_this = local_date(clock.now()).replace(day=1)
    end = first_of_this - timedelta(days=1)
    return end.replace(day=1).isoformat(), end.isoformat()


def signed(pki_dir, reconciliation: dict) -> dict:
    body = {"content": {"procedure": "balance_reconciliation", "reconciliation": reconciliation}}
    for name, title in (("ktt.cva", "chief_accountant"), ("chutk.cva", "account_holder")):
        body = signtool.add_signature(body, (pki_dir / f"{name}.key.pem").read_bytes(),
                                      (pki_dir / f"{name}.cert.pem").read_bytes(), title)
    return body


def body(pki_dir, book_balance: int, account: str = ACCOUNT, period=None):
    start, end = period or last_month()
    return signed(pki_dir, {"account_id": account, "period": {"from": start, "to": end},
                            "book_balance": book_balance})


def mau_32(opening: int, increase: int, decrease: int) -> dict:
    return {"form": "32", "rows": [
        {"line": "opening", "cells": {"amount": opening}},
        {"line": "increase", "cells": {"amount": increase}},
        {"line": "decrease", "cells": {"amount": decrease}},
        {"line": "closing", "cells": {"amount": opening + increase - decrease}}]}


def form_body(pki_dir, form: dict, period=None):
    start, end = period or last_month()
    return signed(pki_dir, {"account_id": ACCOUNT, "period": {"from": start, "to": end},
                            "form": form})


def submit(flow: Flow, signed_body: dict) -> dict:
    status, d = flow.api.call("POST", "/v1/dossiers", signed_body, token=flow.unit)
    assert status == 201, d
    return d


def treasury_lines(flow: Flow, dossier_id: str) -> dict:
    view = flow.dossier(dossier_id)["reconciliation"]
    return {r["line"]: r["cells"]["amount"] for r in view["treasury_form"]["rows"]}


def test_art10_cl2_pt_c_a_mismatch_is_returned_line_by_line_and_re_reconciled_within_the_day(
        flow, pki_dir):
    ledger = flow.balance(ACCOUNT)
    d = submit(flow, form_body(pki_dir, mau_32(ledger + 1_000, 0, 0)))   # a wrong opening
    view = flow.dossier(d["dossier_id"])["reconciliation"]
    assert view["unit_form"]["form"] == "32" and view["treasury_form"]["symbol"] == "06-ĐCSDTK/KBNN"
    by_line = {x["line"]: x for x in view["differences"]}
    assert by_line["opening"]["unit"] - by_line["opening"]["treasury"] == by_line["opening"][
        "difference"] != 0
    assert by_line["opening"]["field"] == "rows[0].cells.amount"
    status, checklist = flow.api.call("GET", f"/v1/dossiers/{d['dossier_id']}/checks",
                                      token=flow.officer)
    assert status == 200 and checklist["all_passed"] is False, checklist
    assert checklist["checks"][0]["code"] == "form_matches_ledger"
    assert "rows[0].cells.amount" in checklist["checks"][0]["detail"]

    status, err = flow.decide(flow.officer, d["dossier_id"], "does_not_match")
    assert (status, err["error"]["code"]) == (422, "reason_required")
    assert flow.decide(flow.officer, d["dossier_id"], "does_not_match",
                       "Số dư đầu kỳ chênh lệch 1.000 đồng.")[0] == 200
    returned = flow.reaches(d["dossier_id"], "awaiting_supplement")
    assert returned["step"] == "re_reconcile"
    flow.task(flow.unit, d["dossier_id"])
    due = flow.dossier(d["dossier_id"])["reconciliation"]["re_reconciliation"]
    assert due["overdue"] is False and due["due_at"] > clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")

    # the unit reconciles again, naming the dossier it redoes, with the treasury's figures
    lines = treasury_lines(flow, d["dossier_id"])
    status, again = flow.api.call(
        "POST", f"/v1/dossiers/{d['dossier_id']}/supplement",
        form_body(pki_dir, mau_32(lines["opening"], lines["increase"], lines["decrease"])),
        token=flow.unit)
    assert (status, again["status"], again["step"]) == (200, "under_review", "review"), again
    assert flow.dossier(d["dossier_id"])["reconciliation"]["differences"] == []
    assert flow.decide(flow.officer, d["dossier_id"], "matches")[0] == 200
    confirmed = flow.reaches(d["dossier_id"], "reconciled")["reconciliation"]["confirmed_form"]
    assert confirmed["confirmed"] is True and confirmed["form"] == "32"


def test_art10_cl2_pt_c_a_re_reconciliation_not_sent_within_one_working_day_shows_overdue(
        stack, flow, pki_dir):
    d = submit(flow, form_body(pki_dir, mau_32(1, 0, 0)))
    flow.decide(flow.officer, d["dossier_id"], "does_not_match", "Chênh lệch đầu kỳ.")
    unit_task = flow.task(flow.unit, d["dossier_id"])
    assert flow.dossier(d["dossier_id"])["reconciliation"]["re_reconciliation"]["overdue"] is False
    # The unit's working day passes (time is simulated by moving the step's due time into the
    # past, as tests/integration/test_overdue.py does; the workflow's own timer would escalate
    # the step to the leader a working day later).
    past = (clock.now() - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    boto3.client("dynamodb", endpoint_url=stack.endpoint_url).update_item(
        TableName=stack.env["TABLE_TASKS"], Key={"task_id": {"S": unit_task["task_id"]}},
        UpdateExpression="SET due_at = :past", ExpressionAttributeValues={":past": {"S": past}})

    def overdue():
        view = flow.dossier(d["dossier_id"]).get("reconciliation", {})
        return view.get("re_reconciliation", {}).get("overdue")
    assert eventually(overdue)
    status, listed = flow.api.call("GET", "/v1/tasks?state=open&limit=200", token=flow.unit)
    mine = next(t for t in listed["items"] if t["dossier_id"] == d["dossier_id"])
    assert (mine["step"], mine["due_at"]) == ("re_reconcile", past)


def test_art10_cl2_pt_c_matching_balance_is_confirmed_and_a_difference_is_answered_with_its_reason(
        flow, pki_dir):
    """The older shape: a book balance, compared with the ledger's closing balance of the period."""
    probe = submit(flow, body(pki_dir, 0))
    closing = treasury_lines(flow, probe["dossier_id"])["closing"]
    matching, differing = submit(flow, body(pki_dir, closing)), submit(flow, body(pki_dir, closing + 1))
    for d, passed in ((matching, True), (differing, False)):
        status, checklist = flow.api.call("GET", f"/v1/dossiers/{d['dossier_id']}/checks",
                                          token=flow.officer)
        assert status == 200 and checklist["checks"][0]["code"] == "book_balance_matches_ledger"
        assert checklist["all_passed"] is passed, checklist
    assert flow.decide(flow.officer, matching["dossier_id"], "matches")[0] == 200
    flow.reaches(matching["dossier_id"], "reconciled")
    assert flow.decide(flow.officer, differing["dossier_id"], "does_not_match",
                       "Chênh lệch 1 đồng: phí chuyển tiền cuối kỳ.")[0] == 200
    returned = flow.reaches(differing["dossier_id"], "awaiting_supplement")
    assert returned["step"] == "re_reconcile"
    (difference,) = returned["reconciliation"]["differences"]
    assert (difference["line"], difference["difference"]) == ("closing", 1)


def test_supplement_then_refuse(flow, pki_dir):
    d = submit(flow, body(pki_dir, 1))
    flow.decide(flow.officer, d["dossier_id"], "request_supplement", "Ghi rõ kỳ đối chiếu.")
    flow.reaches(d["dossier_id"], "awaiting_supplement")
    flow.task(flow.unit, d["dossier_id"])
    status, again = flow.api.call("POST", f"/v1/dossiers/{d['dossier_id']}/supplement",
                                  body(pki_dir, 2), token=flow.unit)
    assert (status, again["status"]) == (200, "under_review"), again
    status, err = flow.decide(flow.officer, d["dossier_id"], "request_supplement", "Lần nữa.")
    assert (status, err["error"]["code"]) == (409, "supplement_limit_reached")
    flow.decide(flow.officer, d["dossier_id"], "refuse", "Tài khoản không thuộc kỳ đối chiếu.")
    flow.reaches(d["dossier_id"], "refused")


def test_bad_reconciliation_requests_are_refused_with_the_field(flow, pki_dir):
    today = local_date(clock.now())
    start, end = last_month()
    wrong_line = mau_32(5, 0, 0)
    wrong_line["rows"][3]["cells"]["amount"] = 4
    cases = [(body(pki_dir, -1), "content.reconciliation.book_balance", "invalid_amount"),
             (body(pki_dir, 1, period=(end, start)), "content.reconciliation.period",
              "invalid_period"),
             (body(pki_dir, 1, period=(today.isoformat(), today.isoformat())),
              "content.reconciliation.period.to", "period_not_over"),
             (body(pki_dir, 1, account="3713.1.1023456"), "content.reconciliation.account_id",
              "unknown_account"),
             (form_body(pki_dir, wrong_line), "content.reconciliation.form.rows",
              "formula_broken"),
             (form_body(pki_dir, {**mau_32(1, 0, 0), "form": "26"}),
              "content.reconciliation.form.form", "form_not_for_account")]
    for signed_body, field, code in cases:
        status, err = flow.api.call("POST", "/v1/dossiers", signed_body, token=flow.unit)
        assert (status, err["error"]["field"], err["error"]["code"]) == (422, field, code), err


def test_art15_cl1_pt_d_a_2025_reconciliation_in_january_2026_is_bound_to_11_2020(
        stack, tokens, flow, pki_dir):
    svc = composition.services()
    unit = svc.verifier.verify(tokens["ketoan.cva"])
    status, d = dossiers.submit(
        unit, command(Submit, body(pki_dir, 5, period=("2025-12-01", "2025-12-31"))), None,
        repo=svc.repo, workflows=svc.workflows, config=svc.config, store=svc.documents,
        now=datetime(2026, 1, 20, 2, 0, tzinfo=UTC))
    assert (status, d["version"]) == (201, "11-2020"), d
    assert svc.repo.dossier(d["dossier_id"]).procedure_version == "11-2020"


def test_a_request_received_under_decree_11_2020_finishes_under_it(stack, tokens, flow, pki_dir):
    svc = composition.services()
    unit = svc.verifier.verify(tokens["ketoan.cva"])
    status, d = dossiers.submit(unit, command(Submit, body(pki_dir, 5, period=("2025-11-01", "2025-11-30"))),
                                None,
                                repo=svc.repo, workflows=svc.workflows, config=svc.config,
                                store=svc.documents, now=datetime(2025, 12, 30, 2, 0, tzinfo=UTC))
    assert (status, d["version"]) == (201, "11-2020"), d
    flow.decide(flow.officer, d["dossier_id"], "matches")
    assert flow.reaches(d["dossier_id"], "reconciled")["version"] == "11-2020"
