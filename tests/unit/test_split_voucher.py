"""The split voucher (Mẫu 14 / Mẫu 18 "kiêm nộp NSNN", 347/2025 Art.4 cl.4 pt.h/i, Art.6 cl.3
pt.a): the budget-payment block's rules, the ledger request that carries both parts, the debit
advice that shows them and the officer's check that they add up. Pure: no AWS."""
from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from chalicelib.adapters.models import Account, Dossier, DossierBody
from chalicelib.domain import audit, catalogue
from chalicelib.domain import ledger as contract
from chalicelib.domain.checks import payment_checks
from chalicelib.domain.errors import InvalidField
from chalicelib.domain.voucher import parse_voucher
from chalicelib.services import ledger, posting
from devstack.split_demo import split_content
from tests.fakes import MemoryLedger, MemoryRepository, MemoryWorkflows

pytestmark = pytest.mark.unit
KINDS = catalogue.REGULAR_SPENDING_PAYMENT_347.payment_kinds
V = "content.voucher"


def parse(content: dict):
    return parse_voucher(copy.deepcopy(content["voucher"]), KINDS)


def refused(content: dict) -> InvalidField:
    with pytest.raises(InvalidField) as caught:
        parse(content)
    return caught.value


def with_block(**changes) -> dict:
    content = split_content("UNC-T1")
    content["voucher"]["budget_payment"].update(changes)
    return content


# --- the block's rules ------------------------------------------------------------------------
def test_art4_cl4_pt_h_a_voucher_splits_its_total_between_the_budget_and_the_payee():
    voucher = parse(split_content("UNC-T1", 11_000_000, 1_000_000))
    part = voucher.budget_payment
    assert part is not None and (part.amount, part.payee_amount) == (1_000_000, 10_000_000)
    assert (part.tax_code, part.revenue_account, part.chapter_code, part.economic_code) == \
        ("0101234567", "7111", "754", "1701")
    assert voucher.total == part.amount + part.payee_amount


def test_art4_cl4_pt_i_parts_that_do_not_add_up_to_the_total_are_refused_naming_the_payee_amount():
    content = split_content("UNC-T1", 11_000_000, 1_000_000)
    content["voucher"]["payee"]["amount"] = 9_999_999
    error = refused(content)
    assert (error.code, error.field) == ("split_mismatch", f"{V}.payee.amount")
    assert "1.000.000" in error.message and "9.999.999" in error.message \
        and "11.000.000" in error.message


def test_art6_cl3_pt_a_a_split_voucher_must_state_the_payees_amount():
    content = split_content("UNC-T1")
    del content["voucher"]["payee"]["amount"]
    error = refused(content)
    assert (error.code, error.field) == ("required", f"{V}.payee.amount")


@pytest.mark.parametrize("field, value, code", [
    ("amount", 0, "invalid_amount"),
    ("amount", "1000000", "invalid_amount"),
    ("amount", 1.5, "invalid_amount"),
    ("tax_code", "010123456", "invalid_format"),
    ("tax_code", "01012345678", "invalid_format"),
    ("economic_code", "6551", "invalid_format"),      # a spending code is not a revenue code
    ("economic_code", "17011", "invalid_format"),
    ("chapter_code", "75", "invalid_format"),
    ("revenue_account", "7112", "invalid_format"),
    ("revenue_account", "71114", "invalid_format"),    # Mẫu 18's footnote typo, not an account
    ("revenue_account", "3511 0", "invalid_format"),
    ("taxpayer_name", " ", "required"),
    ("collecting_agency", None, "required"),
    ("treasury", None, "required"),
    ("area_code", "A1", "invalid_format"),
])
def test_art4_cl4_pt_h_each_malformed_field_of_the_budget_block_is_named(field, value, code):
    error = refused(with_block(**{field: value}))
    assert (error.code, error.field) == (code, f"{V}.budget_payment.{field}")


def test_art4_cl4_pt_h_footnote_5_the_area_code_is_required_only_without_a_payable_id():
    error = refused(with_block(area_code=None, declaration_id=None))
    assert (error.code, error.field) == ("required", f"{V}.budget_payment.area_code")
    voucher = parse(with_block(area_code=None, declaration_id="11020260000123"))
    assert voucher.budget_payment is not None
    assert voucher.budget_payment.declaration_id == "11020260000123"


@pytest.mark.parametrize("account", ["7111", "7114", "8993", "3511.0.1054321"])
def test_art4_cl4_pt_h_footnote_6_revenue_accounts_and_a_temporary_collection_account(account):
    assert parse(with_block(revenue_account=account)).budget_payment.revenue_account == account


@pytest.mark.parametrize("tax_code", ["0101234567", "0101234567-001", "001085012345"])
def test_art4_cl4_pt_h_a_taxpayer_is_an_organisation_a_branch_or_a_person(tax_code):
    assert parse(with_block(tax_code=tax_code)).budget_payment.tax_code == tax_code


@pytest.mark.parametrize("kind", ["refund", "advance_settlement", "adjustment"])
def test_art6_cl3_pt_a_only_money_leaving_the_account_can_be_split(kind):
    content = split_content("UNC-T1")
    content["voucher"]["payment_kind"] = kind
    content["voucher"]["related_dossier"] = "01JD7Q3W5X6Y7Z8A9B0C1D2E3F"
    error = refused(content)
    assert (error.code, error.field) == ("budget_payment_not_allowed", f"{V}.budget_payment")


def test_a_block_that_is_not_an_object_is_refused():
    content = split_content("UNC-T1")
    content["voucher"]["budget_payment"] = "7111"
    assert refused(content).field == f"{V}.budget_payment"


def test_a_voucher_without_the_block_pays_its_whole_total_to_the_payee():
    content = split_content("UNC-T1", 11_000_000)
    del content["voucher"]["budget_payment"]
    content["voucher"]["payee"]["amount"] = 11_000_000
    assert parse(content).budget_payment is None
    content["voucher"]["payee"]["amount"] = 10_000_000
    error = refused(content)
    assert (error.code, error.field) == ("split_mismatch", f"{V}.payee.amount")


# --- the officer's checklist --------------------------------------------------------------------
def test_art4_cl4_pt_h_the_checklist_shows_both_parts_and_that_they_add_up():
    voucher = parse(split_content("UNC-T1", 11_000_000, 1_000_000))
    checks = {c.code: c for c in payment_checks(voucher, balance=50_000_000, paid_under_contract=0)}
    split = checks["parts_sum_to_total"]
    assert split.passed
    assert split.detail.startswith("nộp NSNN 1.000.000 + thanh toán cho đối tượng thụ hưởng "
                                   "10.000.000 = 11.000.000 / 11.000.000 đồng")
    assert "MST 0101234567" in split.detail and "TK thu 7111" in split.detail
    assert "parts_sum_to_total" in catalogue.REGULAR_SPENDING_PAYMENT_347.checks


def test_a_voucher_that_is_not_split_has_no_split_check():
    content = split_content("UNC-T1")
    del content["voucher"]["budget_payment"]
    del content["voucher"]["payee"]["amount"]
    codes = [c.code for c in payment_checks(parse(content), balance=None, paid_under_contract=0)]
    assert "parts_sum_to_total" not in codes


# --- the ledger contract ------------------------------------------------------------------------
def a_request(content: dict, amount: int = 11_000_000) -> dict:
    body = contract.request(posting_id="01JD7Q3W5X6Y7Z8A9B0C1D2E3F", entry="debit", amount=amount,
                            account_id="9523.1.1012345", account_kind="estimate",
                            unit_id="1012345", office_id="KV1", payment_kind="payment",
                            voucher=content["voucher"], correlation_id=None,
                            requested_at="2026-11-23T02:15:04Z")
    return {**body, "attempt": 1, "sent_at": "2026-11-23T02:15:04Z"}


def test_art6_cl3_pt_a_the_posting_request_carries_both_parts_and_debits_the_total_once():
    sent = contract.parse_request(a_request(split_content("UNC-T1", 11_000_000, 1_000_000)))
    assert (sent["entry"], sent["amount"], sent["version"]) == ("debit", 11_000_000, 1)
    assert sent["payee_amount"] == 10_000_000
    assert {k: sent["budget_payment"][k] for k in
            ("amount", "revenue_account", "tax_code", "chapter_code", "economic_code")} == \
        {"amount": 1_000_000, "revenue_account": "7111", "tax_code": "0101234567",
         "chapter_code": "754", "economic_code": "1701"}
    assert sent["budget_payment"]["amount"] + sent["payee_amount"] == sent["amount"]


def test_an_unsplit_request_carries_null_parts_and_stays_version_1():
    content = split_content("UNC-T1")
    del content["voucher"]["budget_payment"]
    sent = contract.parse_request(a_request(content))
    assert (sent["payee_amount"], sent["budget_payment"], sent["version"]) == (None, None, 1)


@pytest.mark.parametrize("broken", [
    {"payee_amount": 9_000_000}, {"payee_amount": None}, {"payee_amount": True},
    {"budget_payment": "7111"}, {"entry": "credit"}])
def test_a_request_whose_parts_do_not_make_its_amount_breaks_the_contract(broken):
    good = a_request(split_content("UNC-T1"))
    with pytest.raises(contract.ContractViolation):
        contract.parse_request({**good, **broken})


def test_a_request_whose_budget_part_lacks_the_revenue_account_breaks_the_contract():
    good = a_request(split_content("UNC-T1"))
    part = {**good["budget_payment"], "revenue_account": None}
    with pytest.raises(contract.ContractViolation):
        contract.parse_request({**good, "budget_payment": part})


# --- the posting step and the advice -------------------------------------------------------------
DOSSIER, ACCOUNT = "01JD7Q3W5X6Y7Z8A9B0C1D2E3F", "9523.1.1012345"
NOW = datetime(2026, 11, 23, 2, 15, tzinfo=UTC)


def test_art6_cl3_pt_a_the_debit_advice_shows_both_parts_of_the_one_debit():
    repo = MemoryRepository()
    repo.put(Account(f"ACCOUNT#{ACCOUNT}", account_id=ACCOUNT, unit_id="1012345",
                     kind="estimate", balance=20_000_000))
    dossier = Dossier(DOSSIER, procedure="regular_spending_payment", procedure_version="347-2025",
                      unit_id="1012345", office_id="KV1", account_id=ACCOUNT, amount=11_000_000,
                      payment_kind="payment", voucher_number="UNC-T1", status=catalogue.POSTING,
                      step="posting", received_at="2026-11-23T01:00:00Z",
                      due_at="2026-11-24T10:00:00Z", updated_at="2026-11-23T02:00:00Z",
                      audit_head=audit.GENESIS, audit_seq=3)
    repo.put(dossier, DossierBody(DOSSIER, signatures=[],
                                  content=split_content("UNC-T1", 11_000_000, 1_000_000)))
    tabmis, workflows = MemoryLedger(repo), MemoryWorkflows()
    assert posting.post_payment({"dossier_id": DOSSIER, "token": "t"}, repo=repo,
                                workflows=workflows, ledger=tabmis, now=NOW) == posting.REQUESTED
    (sent,) = tabmis.sent
    assert (sent["amount"], sent["payee_amount"], sent["budget_payment"]["amount"]) == \
        (11_000_000, 10_000_000, 1_000_000)
    body = contract.confirmation(sent, contract.POSTED, answered_at="2026-11-23T02:15:05Z",
                                 ledger_reference="TB20261123AB", posted_at="2026-11-23T02:15:05Z")
    assert ledger.on_confirmation(body, repo=repo, ledger=tabmis, workflows=workflows,
                                  now=NOW) == "posted"
    advice = repo.dossier(DOSSIER).result["debit_advice"]
    assert (advice["amount"], advice["payee_amount"], advice["budget_payment"]["amount"]) == \
        (11_000_000, 10_000_000, 1_000_000)
    assert advice["budget_payment"]["revenue_account"] == "7111"
    assert repo.account(ACCOUNT).balance == 9_000_000       # debited once, for the total


# --- the OpenAPI document holds to the rules (Voucher.budget_payment, Payee.amount) ----------------
def _split(**changes):
    def apply(content: dict) -> dict:
        content = split_content("DEMO-S")
        for key, value in changes.items():
            if value is ...:
                del content["voucher"]["budget_payment"][key]
            else:
                content["voucher"]["budget_payment"][key] = value
        return content
    return apply


SCHEMA_REJECTED = {
    "a tax code of 11 digits": _split(tax_code="01012345678"),
    "a spending code as the revenue code": _split(economic_code="6551"),
    "a chapter of 2 digits": _split(chapter_code="75"),
    "revenue account 71114": _split(revenue_account="71114"),
    "no revenue account": _split(revenue_account=...),
    "no collecting agency": _split(collecting_agency=...),
    "a blank treasury": _split(treasury=" "),
    "an amount as a string": _split(amount="1000000"),
    "a zero amount": _split(amount=0),
    "an area code with a letter": _split(area_code="A1"),
    "a block that is not an object": lambda c: {**c, "voucher": {**split_content("DEMO-S")["voucher"],
                                                                 "budget_payment": "7111"}},
}
SCHEMA_ACCEPTED = {
    "the split sample": _split(),
    "a temporary collection account": _split(revenue_account="3511.0.1054321"),
    "a 12-digit personal tax code": _split(tax_code="001085012345"),
    "a payable id instead of the area code": _split(area_code=None, declaration_id="1102026000012"),
    "a null block on an unsplit voucher": lambda c: {**c, "voucher": {
        **c["voucher"], "budget_payment": None,
        "payee": {**c["voucher"]["payee"], "amount": c["voucher"]["total"]}}},
}


@pytest.mark.parametrize("case", sorted(SCHEMA_REJECTED))
def test_the_submission_schema_rejects_the_split_vouchers_voucher_py_rejects(case):
    from tests.unit.openapi_support import is_valid, submission
    content = SCHEMA_REJECTED[case](split_content("DEMO-S"))
    with pytest.raises(InvalidField):
        parse(content)
    assert not is_valid("Submission", submission(content)), case


@pytest.mark.parametrize("case", sorted(SCHEMA_ACCEPTED))
def test_the_submission_schema_accepts_the_split_vouchers_voucher_py_accepts(case):
    from tests.unit.openapi_support import submission, validator
    content = SCHEMA_ACCEPTED[case](split_content("DEMO-S"))
    parse(content)
    assert [e.message for e in validator("Submission").iter_errors(submission(content))] == []
