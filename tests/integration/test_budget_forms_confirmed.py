"""The budget forms of Decree 347/2025 Art. 6 on the local stack, through the public API: a
temporary allocation (Mẫu 22) accepted raises what the estimate account may spend and a payment
beyond its balance then fits; a return of funds (Mẫu 08) and an adjustment of budget figures
(Mẫu 09) are each confirmed, their result the confirmed form.

The unit is registered fresh (form TK01): every seeded unit already has its year's estimate
approval on file, and a temporary allocation exists only before the estimate is approved.
"""
from __future__ import annotations

import copy

import pytest

from chalicelib import clock
from chalicelib.domain.calendar import local_date
from devstack.budget_forms import adjustment_form, allocation_content, return_form
from devstack.demo import sample_content, wait_for_status, wait_for_task
from devstack.registration_demo import register_unit
from tests.integration.flow import get_page

pytestmark = pytest.mark.integration
UNIT, PREFIX, CHAPTER = "1067891", "tcap", "622"
ACCOUNT = f"9523.1.{UNIT}"       # opened by TK01 with 300 million đồng


@pytest.fixture(scope="module")
def unit(api, stack):
    registered = register_unit(api, stack.pki_dir, stack.endpoint_url, stack.env["USER_POOL_ID"],
                               UNIT, PREFIX, log=lambda *_: None)
    return {**registered, "year": local_date(clock.now()).year,
            "officer": api.login("kiemsoat.kv1"), "leader": api.login("lanhdao.kv1")}


def submit(api, unit, content: dict) -> tuple[int, dict]:
    return api.call("POST", "/v1/dossiers", unit["sign"](content), token=unit["accountant"])


def accepted_and_approved(api, unit, dossier_id: str, end_status: str) -> dict:
    for token, decision in ((unit["officer"], "accept"), (unit["leader"], "approve")):
        task = wait_for_task(api, token, dossier_id)
        status, body = api.call("POST", f"/v1/tasks/{task['task_id']}/decision",
                                {"decision": decision}, token=token)
        assert status == 200, body
    return wait_for_status(api, unit["accountant"], dossier_id, end_status)


def account(api, unit) -> dict:
    status, body = api.call("GET", f"/v1/accounts/{ACCOUNT}", token=unit["accountant"])
    assert status == 200, body
    return body


def voucher_content(unit, number: str, amount: int, **extra) -> dict:
    content = sample_content(number, amount, unit_code=UNIT, chapter_code=CHAPTER,
                             account=ACCOUNT, **extra)
    content["voucher"]["budget_year"] = unit["year"]
    return content


def test_art6_cl3_pt_d_a_temporary_allocation_raises_what_the_account_may_spend_and_a_payment_then_fits(
        api, unit):
    before = account(api, unit)
    assert before["temporary_allocation"] == 0
    beyond = before["balance"] + 100_000_000   # more than the account holds

    # Without an allocation, a payment beyond the balance is refused at posting.
    short = voucher_content(unit, "TC-SHORT", beyond)
    short["voucher"]["estimate_type"] = "temporary"   # no approved estimate yet: none on file
    status, refused = submit(api, unit, short)
    assert status == 201, refused
    ended = accepted_and_approved(api, unit, refused["dossier_id"], "refused")
    assert ended["result"]["code"] == "insufficient_balance"

    request = allocation_content("TC-IT-001", 120_000_000, year=unit["year"], unit=UNIT,
                                 chapter=CHAPTER, account=ACCOUNT)
    status, received = submit(api, unit, request)
    assert status == 201, received
    assert received["procedure"] == "temporary_allocation"
    _, checks = api.call("GET", f"/v1/dossiers/{received['dossier_id']}/checks",
                         token=unit["officer"])
    assert {c["code"]: c["passed"] for c in checks["checks"]} == {
        "lines_sum_to_total": True, "within_monthly_average": True, "estimate_not_approved": True}
    allocated = accepted_and_approved(api, unit, received["dossier_id"], "recorded")
    confirmed = allocated["result"]["confirmed_form"]
    assert confirmed["form"] == "Mẫu số 22"
    assert confirmed["signed"] == request["allocation_request"]
    assert confirmed["treasury"]["number"] == f"TC-{received['dossier_id']}"
    assert allocated["result"]["temporary_allocation"]["amount"] == 120_000_000
    # ... and prints, the form and the treasury's part, with the dossier code (docs/documents.md)
    status, _, page = get_page(api, f"/v1/dossiers/{received['dossier_id']}/documents/confirmed_form",
                               unit["accountant"])
    assert status == 200, page
    assert "Giấy đề nghị tạm cấp dự toán ngân sách" in page and "Mẫu số 22" in page
    assert f"Số: TC-{received['dossier_id']}" in page and "120.000.000" in page
    after = account(api, unit)
    assert (after["balance"], after["temporary_allocation"]) == (before["balance"], 120_000_000)

    # Now the same payment fits: the balance goes below zero, within the allocation.
    status, payment = submit(api, unit, {**short, "voucher": {**short["voucher"],
                                                              "number": "TC-PAY"}})
    assert status == 201, payment
    paid = accepted_and_approved(api, unit, payment["dossier_id"], "paid")
    assert paid["result"]["debit_advice"]["amount"] == beyond
    assert account(api, unit)["balance"] == before["balance"] - beyond
    unit["payment"] = paid


def test_art6_cl2_pt_g_a_return_of_funds_before_settlement_is_confirmed_and_reduces_spending(
        api, unit):
    before = account(api, unit)["balance"]
    content = voucher_content(unit, "NT-001", 30_000_000, payment_kind="refund")
    content["return_form"] = return_form(30_000_000, estimate_year=unit["year"], chapter=CHAPTER)
    wrong = copy.deepcopy(content)
    wrong["return_form"]["total"] = wrong["return_form"]["lines"][0]["amount"] = 29_000_000
    status, error = submit(api, unit, wrong)
    assert (status, error["error"]["code"], error["error"]["field"]) == \
        (422, "form_total_mismatch", "content.return_form.total")

    status, received = submit(api, unit, content)
    assert status == 201, received
    returned = accepted_and_approved(api, unit, received["dossier_id"], "recorded")
    advice = returned["result"]["credit_advice"]
    confirmed = returned["result"]["confirmed_form"]
    assert (confirmed["form"], confirmed["signed"]) == ("Mẫu số 08", content["return_form"])
    assert confirmed["treasury"]["treatment"] == "reduce_spending"   # the year is not settled
    assert confirmed["treasury"]["number"] == advice["number"]
    assert confirmed["treasury"]["ledger_reference"] == advice["ledger_reference"]
    assert account(api, unit)["balance"] == before + 30_000_000


def test_art6_cl2_pt_h_an_adjustment_of_figures_consistent_with_the_payment_is_confirmed(api, unit):
    paid = unit.get("payment")
    if paid is None:
        pytest.skip("needs the payment of the temporary-allocation test")
    lines = paid["content"]["voucher"]["lines"]
    content = voucher_content(unit, "DC-001", paid["amount"], payment_kind="adjustment",
                              related_dossier=paid["dossier_id"])
    content["voucher"]["lines"] = copy.deepcopy(lines)
    content["adjustment_form"] = adjustment_form(lines, estimate_year=unit["year"],
                                                 chapter=CHAPTER)
    beyond = copy.deepcopy(content)
    beyond["adjustment_form"]["proposed"][0]["amount"] += 1_000
    status, error = submit(api, unit, beyond)
    assert (status, error["error"]["code"], error["error"]["field"]) == \
        (422, "adjustment_outside_estimate", "content.adjustment_form.proposed")

    before = account(api, unit)["balance"]
    status, received = submit(api, unit, content)
    assert status == 201, received
    adjusted = accepted_and_approved(api, unit, received["dossier_id"], "recorded")
    note = adjusted["result"]["posting_note"]
    confirmed = adjusted["result"]["confirmed_form"]
    assert (confirmed["form"], confirmed["signed"]) == ("Mẫu số 09", content["adjustment_form"])
    assert confirmed["treasury"]["ledger_reference"] == note["ledger_reference"]
    assert account(api, unit)["balance"] == before   # figures moved, not money
