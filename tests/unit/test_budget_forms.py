"""The budget forms of Decree 347/2025 Art. 6 that are not payments — temporary allocation
(Mẫu 22), return of funds (Mẫu 08), adjustment of budget figures (Mẫu 09): their fields, their
rules and their confirmed copies (domain/budget_forms.py), without AWS."""
from __future__ import annotations

import copy
from datetime import date

import pytest

from chalicelib.domain import budget_forms as forms
from chalicelib.domain import catalogue, components
from chalicelib.domain.errors import InvalidField
from chalicelib.domain.voucher import parse_voucher
from devstack.budget_forms import adjustment_form, allocation_content, return_form
from devstack.demo import sample_content

pytestmark = pytest.mark.unit


def refused(call, field: str, code: str) -> None:
    with pytest.raises(InvalidField) as err:
        call()
    assert (err.value.field, err.value.code) == (field, code)


# --- Mẫu 22 -------------------------------------------------------------------------------

def test_art6_cl3_pt_d_temporary_allocation_is_its_own_procedure_whose_result_is_not_a_payment():
    proc = catalogue.version_in_force("temporary_allocation", date(2026, 1, 5))
    assert proc.content_kind == forms.TEMPORARY_ALLOCATION and proc.payment_kinds == ()
    assert "Điều 6 khoản 3 điểm d" in proc.legal_basis
    allocate = proc.step("allocate")
    assert allocate.is_system
    assert {d.name: d.end_status for d in allocate.decisions}["allocated"] == catalogue.RECORDED
    assert "posting" not in {s.name for s in proc.steps}   # nothing is paid to anyone
    # Art. 6 cl. 5: one working day, two for dossiers received 25-31 January and December.
    assert (proc.sla_working_days, proc.peak_sla_working_days) == (1, 2)


def test_art6_cl3_pt_d_a_mau_22_request_parses_with_its_basis_lines_and_total():
    request = forms.parse_allocation_request(allocation_content(total=120_000_000, year=2026)
                                             ["allocation_request"])
    assert request.total == 120_000_000 == sum(line.amount for line in request.lines)
    assert (request.basis_year, request.monthly_average) == (2025, 150_000_000)
    assert request.account == "9523.1.1012345"


@pytest.mark.parametrize(("change", "field", "code"), [
    (lambda r: r.update(total=1), "content.allocation_request.total", "total_mismatch"),
    (lambda r: r["lines"][1].update(source_code="1"),
     "content.allocation_request.lines[1].source_code", "invalid_format"),
    (lambda r: r["lines"][0].update(amount=1.5),
     "content.allocation_request.lines[0].amount", "invalid_amount"),
    (lambda r: r["basis"].update(estimate_year=2026),
     "content.allocation_request.basis.estimate_year", "invalid_basis_year"),
    (lambda r: r["basis"].update(monthly_average=2_000_000_000),
     "content.allocation_request.basis.monthly_average", "invalid_basis"),
    (lambda r: r.update(lines=[]), "content.allocation_request.lines", "required"),
    (lambda r: r["unit"].pop("account"), "content.allocation_request.unit.account", "required"),
])
def test_art6_cl3_pt_d_a_malformed_mau_22_names_its_field(change, field, code):
    raw = copy.deepcopy(allocation_content(year=2026)["allocation_request"])
    change(raw)
    refused(lambda: forms.parse_allocation_request(raw), field, code)


def test_art6_cl3_pt_d_temporary_allocation_raises_what_the_account_may_spend():
    assert forms.spendable(100, 30, 0) == 70
    assert forms.spendable(100, 30, 50) == 120
    assert forms.spendable(-20, 0, 50) == 30   # spent beyond its balance, within the allocation


def test_a_payment_from_a_temporary_allocation_needs_no_approved_estimate():
    proc = catalogue.version_in_force("regular_spending_payment", date(2026, 1, 5))
    raw = sample_content("T-1")["voucher"]
    official = {n.component.kind: n.required for n in
                components.needs(proc, parse_voucher(raw, proc.payment_kinds))}
    temporary = {n.component.kind: n.required for n in components.needs(
        proc, parse_voucher({**raw, "estimate_type": "temporary"}, proc.payment_kinds))}
    assert official["estimate_approval"] is True and temporary["estimate_approval"] is False


# --- Mẫu 08 -------------------------------------------------------------------------------

def test_art6_cl3_pt_dd_a_mau_08_return_parses_and_its_total_is_the_vouchers():
    form = forms.parse_return_form(return_form(5_000_000, estimate_year=2026), voucher_total=5_000_000)
    assert (form.returned_from, form.total, form.years) == ("actual", 5_000_000, (2026,))
    refused(lambda: forms.parse_return_form(return_form(5_000_000), voucher_total=4_000_000),
            "content.return_form.total", "form_total_mismatch")
    raw = return_form(5_000_000)
    raw["lines"][0]["economic_code"] = "60"
    refused(lambda: forms.parse_return_form(raw, voucher_total=5_000_000),
            "content.return_form.lines[0].economic_code", "invalid_format")
    raw = {**return_form(5_000_000), "returned_from": "gift"}
    refused(lambda: forms.parse_return_form(raw, voucher_total=5_000_000),
            "content.return_form.returned_from", "invalid_choice")


def test_art6_cl3_pt_dd_a_return_ordered_by_an_authority_names_its_decision():
    raw = {**return_form(5_000_000), "decision": {"number": "12/QĐ-KTNN", "date": "2026-03-02"},
           "area_code": "00001"}
    form = forms.parse_return_form(raw, voucher_total=5_000_000)
    assert (form.decision_number, form.decision_date, form.area_code) == \
        ("12/QĐ-KTNN", "2026-03-02", "00001")
    raw["decision"] = {"number": "12/QĐ-KTNN", "date": "2/3/2026"}
    refused(lambda: forms.parse_return_form(raw, voucher_total=5_000_000),
            "content.return_form.decision.date", "invalid_format")


def test_a_budget_year_is_settled_after_its_adjustment_period_ends_on_31_january_next_year():
    assert forms.adjustment_period_end(2026) == date(2027, 1, 31)
    assert not forms.year_settled(2026, date(2026, 12, 31))
    assert not forms.year_settled(2026, date(2027, 1, 31))
    assert forms.year_settled(2026, date(2027, 2, 1))


def test_art6_cl2_pt_g_a_return_before_settlement_reduces_spending_and_credits_the_account():
    form = forms.parse_return_form(return_form(5_000_000, estimate_year=2026), voucher_total=5_000_000)
    treatment = forms.return_treatment(form, date(2027, 1, 20))
    assert treatment == forms.REDUCE_SPENDING
    assert forms.return_balance_effect(treatment) == +1


def test_art6_cl2_pt_g_a_return_after_settlement_is_collected_to_the_budget_not_credited():
    form = forms.parse_return_form(return_form(5_000_000, estimate_year=2025), voucher_total=5_000_000)
    treatment = forms.return_treatment(form, date(2026, 3, 1))
    assert treatment == forms.BUDGET_REVENUE
    assert forms.return_balance_effect(treatment) == 0


def test_art6_cl2_pt_g_one_return_cannot_mix_a_settled_year_with_an_open_one():
    raw = return_form(5_000_000, estimate_year=2025)
    raw["lines"].append({**raw["lines"][0], "estimate_year": 2026, "amount": 1_000_000})
    raw["total"] = 6_000_000
    form = forms.parse_return_form(raw, voucher_total=6_000_000)
    refused(lambda: forms.return_treatment(form, date(2026, 3, 1)), "content.return_form.lines",
            "mixed_settled_years")


# --- Mẫu 09 -------------------------------------------------------------------------------

PAID = sample_content("P-1", 10_000_000)["voucher"]["lines"]


def test_art6_cl3_pt_e_a_mau_09_adjustment_parses_recorded_and_proposed_rows():
    form = forms.parse_adjustment_form(adjustment_form(PAID))
    assert form.reason and len(form.recorded) == len(form.proposed) == 2
    assert {r.economic_code for r in form.proposed} == {"6051"}
    raw = adjustment_form(PAID)
    raw["proposed"][1]["side"] = "both"
    refused(lambda: forms.parse_adjustment_form(raw), "content.adjustment_form.proposed[1].side",
            "invalid_choice")
    refused(lambda: forms.parse_adjustment_form({**adjustment_form(PAID), "reason": " "}),
            "content.adjustment_form.reason", "required")


def test_art6_cl2_pt_h_an_adjustment_consistent_with_what_was_paid_passes():
    form = forms.parse_adjustment_form(adjustment_form(PAID))
    forms.check_adjustment(form, voucher_total=10_000_000, paid_lines=PAID)   # raises nothing


def test_art6_cl2_pt_h_recorded_figures_must_be_what_the_treasury_paid():
    raw = adjustment_form(PAID)
    raw["recorded"][0]["economic_code"] = "6999"   # not a line of the payment
    form = forms.parse_adjustment_form(raw)
    refused(lambda: forms.check_adjustment(form, voucher_total=10_000_000, paid_lines=PAID),
            "content.adjustment_form.recorded", "adjustment_recorded_mismatch")
    # and the whole payment: an adjustment of part of it does not match either
    form = forms.parse_adjustment_form(adjustment_form(PAID[:1]))
    refused(lambda: forms.check_adjustment(form, voucher_total=10_000_000, paid_lines=PAID),
            "content.adjustment_form.recorded", "adjustment_recorded_mismatch")


def test_art6_cl2_pt_h_an_adjustment_stays_within_the_estimate():
    raw = adjustment_form(PAID)
    raw["proposed"][0]["amount"] += 1   # would spend one đồng more than was paid
    form = forms.parse_adjustment_form(raw)
    refused(lambda: forms.check_adjustment(form, voucher_total=10_000_000, paid_lines=PAID),
            "content.adjustment_form.proposed", "adjustment_outside_estimate")


# --- the confirmed forms ----------------------------------------------------------------

def test_art6_cl2_pt_i_each_result_is_its_form_with_the_treasurys_confirmation():
    signed = return_form(5_000_000)
    advice = {"number": "GBC-TB1", "ledger_reference": "TB1", "amount": 5_000_000,
              "posted_at": "2026-03-02T03:00:00.000Z"}
    confirmed = forms.confirmed_form("08", signed, confirmation=advice,
                                     treatment=forms.REDUCE_SPENDING)
    assert confirmed["form"] == "Mẫu số 08" and confirmed["symbol"] == "C2-05a/NS"
    assert confirmed["signed"] == signed
    assert confirmed["treasury"] == {
        "confirmed": True, "number": "GBC-TB1", "confirmed_at": "2026-03-02T03:00:00.000Z",
        "ledger_reference": "TB1", "amount": 5_000_000, "treatment": forms.REDUCE_SPENDING,
        "treatment_vi": "Nộp giảm chi ngân sách nhà nước"}
    assert forms.confirmed_form("09", {}, confirmation=advice)["name_vi"] == \
        "Giấy đề nghị điều chỉnh số liệu ngân sách"
    assert forms.confirmed_form("22", {}, confirmation=advice)["symbol"] == "C6-13/NS"


# --- the allocate step and the confirmed results, on the in-memory repository -------------

def test_art6_cl2_pt_i_an_allocation_raises_the_accounts_spendable_amount_and_confirms_mau_22():
    from chalicelib import clock
    from chalicelib.services import allocation, posting
    from tests.fakes import MemoryWorkflows
    from tests.unit.openapi_support import (
        a_dossier,
        a_repo,
        an_account,
        file,
        is_valid,
        response_schema,
        stored_detail,
    )
    repo, now = a_repo(), clock.now()
    repo.put(an_account("9523.1.1012345", kind="estimate", balance=10_000_000))
    dossier = a_dossier("01JNZ3Q8W5X6Y7Z8A9B0C1D2T0", procedure="temporary_allocation",
                        amount=120_000_000, payment_kind=None, voucher_number="TC-0001",
                        content=allocation_content(year=2026), status=catalogue.ACTIVATING,
                        step="allocate")
    file(repo, dossier)
    workflows = MemoryWorkflows()
    message = {"dossier_id": dossier.dossier_id, "token": "t"}
    assert allocation.allocate(message, repo=repo, workflows=workflows, now=now) == "allocated"
    account = repo.account("9523.1.1012345")
    assert (account.balance, account.temporary_allocation) == (10_000_000, 120_000_000)
    assert posting.available(account) == 130_000_000
    detail = stored_detail(repo, dossier.dossier_id)
    assert detail["status"] == catalogue.RECORDED
    assert detail["result"]["temporary_allocation"]["amount"] == 120_000_000
    confirmed = detail["result"]["confirmed_form"]
    assert confirmed["form"] == "Mẫu số 22"
    assert confirmed["signed"] == allocation_content(year=2026)["allocation_request"]
    assert confirmed["treasury"]["number"] == f"TC-{dossier.dossier_id}"
    assert is_valid(response_schema("GET", "/v1/dossiers/{dossier_id}", "200"), detail)
    # A redelivered message only answers again: the allocation is made once.
    assert allocation.allocate(message, repo=repo, workflows=workflows, now=now) == "allocated"
    assert repo.account("9523.1.1012345").temporary_allocation == 120_000_000


def test_art6_cl3_pt_d_no_allocation_once_the_years_estimate_is_approved():
    from chalicelib import clock
    from chalicelib.adapters.models import LegalDocument
    from chalicelib.services import allocation
    from tests.fakes import MemoryWorkflows
    from tests.unit.openapi_support import (
        a_dossier,
        a_repo,
        an_account,
        file,
        is_valid,
        response_schema,
        stored_detail,
    )
    repo, now = a_repo(), clock.now()
    repo.put(an_account("9523.1.1012345", kind="estimate", balance=10_000_000))
    repo.put(LegalDocument(LegalDocument.key("1012345", "estimate_approval", "2026"),
                           unit_id="1012345", kind="estimate_approval", reference="2026",
                           sha256="0" * 64, name="giao-du-toan-2026.pdf",
                           registered_at="2026-01-10T02:00:00Z"))
    dossier = a_dossier("01JNZ3Q8W5X6Y7Z8A9B0C1D2T1", procedure="temporary_allocation",
                        amount=120_000_000, payment_kind=None, voucher_number="TC-0002",
                        content=allocation_content("TC-0002", year=2026),
                        status=catalogue.ACTIVATING, step="allocate")
    file(repo, dossier)
    assert allocation.allocate({"dossier_id": dossier.dossier_id, "token": "t"}, repo=repo,
                               workflows=MemoryWorkflows(), now=now) == "estimate_approved"
    detail = stored_detail(repo, dossier.dossier_id)
    assert (detail["status"], detail["result"]["code"]) == (catalogue.REFUSED, "estimate_approved")
    assert is_valid(response_schema("GET", "/v1/dossiers/{dossier_id}", "200"), detail)
    assert not repo.account("9523.1.1012345").temporary_allocation


@pytest.mark.parametrize(("estimate_year", "entry", "treatment", "advice"), [
    (2026, "credit", forms.REDUCE_SPENDING, "credit_advice"),
    (2025, "record", forms.BUDGET_REVENUE, "posting_note"),
])
def test_art6_cl2_pt_g_posting_a_return_credits_the_account_only_while_its_year_is_open(
        estimate_year, entry, treatment, advice):
    from datetime import UTC, datetime

    from chalicelib.domain import ledger as ledger_contract
    from chalicelib.services import budget_forms as service
    from chalicelib.services import common, ledger, posting
    from tests.fakes import MemoryLedger, MemoryWorkflows
    from tests.unit.openapi_support import (
        a_dossier,
        a_repo,
        an_account,
        file,
        is_valid,
        response_schema,
    )
    now = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)   # 2025's adjustment period ended on 31 Jan
    repo = a_repo()
    tabmis = MemoryLedger(repo)
    repo.put(an_account("9523.1.1012345", kind="estimate", balance=50_000_000))
    content = sample_content("NT-1", 5_000_000, payment_kind="refund")
    content["return_form"] = return_form(5_000_000, estimate_year=estimate_year)
    dossier = a_dossier(f"01JNZ3Q8W5X6Y7Z8A9B0C1D2R{estimate_year % 10}", payment_kind="refund",
                        amount=5_000_000, content=content, status=catalogue.POSTING,
                        step="posting")
    file(repo, dossier)
    workflows = MemoryWorkflows()
    assert posting.post_payment({"dossier_id": dossier.dossier_id, "token": "t"}, repo=repo,
                                workflows=workflows, now=now, ledger=tabmis) == posting.REQUESTED
    request = ledger_contract.parse_request(tabmis.sent[-1])
    assert request["entry"] == entry
    answer = ledger_contract.confirmation(request, "posted", answered_at=common.iso(now),
                                          ledger_reference="TB9", posted_at=common.iso(now))
    ledger.on_confirmation(answer, repo=repo, ledger=tabmis, workflows=workflows, now=now)
    stored = repo.dossier(dossier.dossier_id)
    assert stored.status == catalogue.RECORDED
    balance = repo.account("9523.1.1012345").balance
    assert balance == (55_000_000 if treatment == forms.REDUCE_SPENDING else 50_000_000)
    body = repo.body(stored)
    detail = common.dossier_detail(stored, body)
    detail["result"] = service.with_confirmed_form(stored, body, detail["result"])
    treasury = detail["result"]["confirmed_form"]["treasury"]
    assert (treasury["treatment"], treasury["ledger_reference"]) == (treatment, "TB9")
    assert treasury["number"] == detail["result"][advice]["number"]
    assert is_valid(response_schema("GET", "/v1/dossiers/{dossier_id}", "200"), detail)


def test_art6_cl2_pt_i_the_result_e_mail_names_the_confirmed_mau_22():
    from chalicelib.domain import notices
    event = {"status": "recorded", "procedure": "temporary_allocation",
             "procedure_version": "347-2025", "amount": 120_000_000,
             "result": {"outcome": "recorded", "temporary_allocation": {
                 "number": "TC-01JNZ3Q8W5X6Y7Z8A9B0C1D2T0", "amount": 120_000_000}}}
    values = notices.email_values(event, unit_name="Đơn vị thử", office_name="KBNN KV1")
    assert values["advice_title"] == "Giấy đề nghị tạm cấp dự toán ngân sách có xác nhận"
    assert values["advice_number"] == "TC-01JNZ3Q8W5X6Y7Z8A9B0C1D2T0"
    assert values["procedure_name"] == "Tạm cấp dự toán ngân sách"
