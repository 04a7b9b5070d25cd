"""Balance reconciliation (Decree 347/2025 Art. 10): the unit states its book balance, the office
answers "matches" or "does not match" with the difference explained; one supplement at most."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

import signtool
from chalicelib import composition
from chalicelib.domain.commands import Submit
from chalicelib.domain.commands import parse as command
from chalicelib.services import dossiers
from tests.integration.flow import Flow

pytestmark = pytest.mark.integration
ACCOUNT = "3713.1.1012345"


def body(pki_dir, book_balance: int, account: str = ACCOUNT, period=("2026-10-01", "2026-10-31")):
    content = {"procedure": "balance_reconciliation", "reconciliation": {
        "account_id": account, "period": {"from": period[0], "to": period[1]},
        "book_balance": book_balance}}
    signed = {"content": content}
    for name, title in (("ktt.cva", "chief_accountant"), ("chutk.cva", "account_holder")):
        signed = signtool.add_signature(signed, (pki_dir / f"{name}.key.pem").read_bytes(),
                                        (pki_dir / f"{name}.cert.pem").read_bytes(), title)
    return signed


def submit(flow: Flow, signed: dict) -> dict:
    status, d = flow.api.call("POST", "/v1/dossiers", signed, token=flow.unit)
    assert status == 201, d
    return d


def test_art10_cl2_pt_c_matching_balance_is_confirmed_and_a_difference_is_answered_with_its_reason(
        flow, pki_dir):
    ledger = flow.balance(ACCOUNT)
    matching, differing = submit(flow, body(pki_dir, ledger)), submit(flow, body(pki_dir, ledger + 1))

    status, checklist = flow.api.call("GET", f"/v1/dossiers/{differing['dossier_id']}/checks",
                                      token=flow.officer)
    assert status == 200 and checklist["all_passed"] is False, checklist
    assert checklist["checks"][0]["code"] == "book_balance_matches_ledger"

    assert flow.decide(flow.officer, matching["dossier_id"], "matches")[0] == 200
    status, err = flow.decide(flow.officer, differing["dossier_id"], "does_not_match")
    assert (status, err["error"]["code"]) == (422, "reason_required")
    assert flow.decide(flow.officer, differing["dossier_id"], "does_not_match",
                       "Chênh lệch 1 đồng: phí chuyển tiền ngày 31/10.")[0] == 200
    flow.reaches(matching["dossier_id"], "reconciled")
    answered = flow.reaches(differing["dossier_id"], "not_reconciled")
    assert answered["result"]["reason"].startswith("Chênh lệch 1 đồng")


def test_supplement_then_refuse(flow, pki_dir):
    d = submit(flow, body(pki_dir, 1))
    flow.decide(flow.officer, d["dossier_id"], "request_supplement", "Ghi rõ kỳ đối chiếu.")
    flow.reaches(d["dossier_id"], "awaiting_supplement")
    flow.task(flow.unit, d["dossier_id"])
    status, again = flow.api.call("POST", f"/v1/dossiers/{d['dossier_id']}/supplement",
                                  body(pki_dir, 2, period=("2026-09-01", "2026-09-30")),
                                  token=flow.unit)
    assert (status, again["status"]) == (200, "under_review"), again
    status, err = flow.decide(flow.officer, d["dossier_id"], "request_supplement", "Lần nữa.")
    assert (status, err["error"]["code"]) == (409, "supplement_limit_reached")
    flow.decide(flow.officer, d["dossier_id"], "refuse", "Tài khoản không thuộc kỳ đối chiếu.")
    flow.reaches(d["dossier_id"], "refused")


def test_bad_reconciliation_requests_are_refused_with_the_field(flow, pki_dir):
    cases = [(body(pki_dir, -1), "content.reconciliation.book_balance"),
             (body(pki_dir, 1, period=("2026-10-31", "2026-10-01")), "content.reconciliation.period"),
             (body(pki_dir, 1, period=("2099-01-01", "2099-01-31")), "content.reconciliation.period"),
             (body(pki_dir, 1, account="3713.1.1023456"), "content.reconciliation.account_id")]
    for signed, field in cases:
        status, err = flow.api.call("POST", "/v1/dossiers", signed, token=flow.unit)
        assert (status, err["error"]["field"]) == (422, field), err


def test_a_request_received_under_decree_11_2020_finishes_under_it(stack, tokens, flow, pki_dir):
    svc = composition.services()
    unit = svc.verifier.verify(tokens["ketoan.cva"])
    status, d = dossiers.submit(unit, command(Submit, body(pki_dir, 5, period=("2025-11-01", "2025-11-30"))),
                                None,
                                repo=svc.repo, workflows=svc.workflows, config=svc.config,
                                store=svc.documents, now=datetime(2025, 12, 30, 2, 0, tzinfo=UTC))
    assert (status, d["version"]) == (201, "11-2020"), d
    flow.decide(flow.officer, d["dossier_id"], "does_not_match", "Chênh lệch 5 đồng.")
    assert flow.reaches(d["dossier_id"], "not_reconciled")["version"] == "11-2020"
