"""Decree 254/2025's checks of public-investment payments (domain/investment.py), one test per
clause: Art.6 cl.4–8, Art.9 cl.4–5. Pure rules, no AWS."""
from __future__ import annotations

import pytest

from chalicelib.domain import catalogue, investment
from chalicelib.domain.errors import InvalidField
from chalicelib.domain.investment import ContractUse, Disbursed, Project, YearPlan

pytestmark = pytest.mark.unit

YEAR = 2026   # a budget year named by the voucher; the rules never read the clock
PLAN = YearPlan(allocated=800_000_000, extended_from_previous=150_000_000,
                advanced_from_next_year=50_000_000)          # 1,000,000,000 in all
PROJECT = Project("7654321", total_investment=5_000_000_000, plans={YEAR: PLAN})
CONTRACT = {"number": "HD-01", "date": "2026-02-01", "value": 1_000_000_000,
            "items": [{"code": "HM1", "value": 600_000_000}, {"code": "HM2", "value": 400_000_000}]}


def voucher(total: int, *, kind: str = "payment", lines: list | None = None, **more) -> dict:
    lines = lines if lines is not None else [{"amount": total, "contract_item": "HM1"}]
    return {"payment_kind": kind, "total": total, "budget_year": YEAR, "contract": CONTRACT,
            "lines": lines, **more}


def terms(total: int, **kw) -> investment.Terms:
    return investment.parse_terms(voucher(total, **kw))


def by_code(found: list[investment.Finding]) -> dict[str, investment.Finding]:
    return {f.code: f for f in found}


def test_the_checklist_codes_are_the_ones_the_catalogue_names_for_254():
    assert investment.CHECK_CODES == tuple(sorted(catalogue.INVESTMENT_CHECKS_254,
                                                  key=investment.CHECK_CODES.index))
    found = investment.findings(terms(1), PROJECT, Disbursed(), ContractUse())
    assert {f.code for f in found} == set(catalogue.INVESTMENT_CHECKS_254)


def test_the_checks_apply_to_the_investment_procedures_by_code_whatever_the_version():
    assert all(investment.applies_to(code) for code in
               ("investment_capital_payment", "project_management_costs",
                "foreign_capital_spending"))
    assert not investment.applies_to("regular_spending_payment")
    for code in investment.PROCEDURES:
        version = catalogue.get_version(code, "11-2020")
        assert set(catalogue.INVESTMENT_CHECKS_254) <= set(version.checks)


# --- 254/2025 Art.6 cl.4 ------------------------------------------------------------------------

def test_art6_cl4_254_disbursement_beyond_the_total_investment_is_refused_with_the_figures():
    spent = Disbursed(to_date=4_900_000_000)
    ok = investment.within_total_investment(terms(100_000_000), PROJECT, spent)
    over = investment.within_total_investment(terms(100_000_001), PROJECT, spent)
    assert ok.passed and not over.passed
    error = investment.first_failure([over])
    assert isinstance(error, InvalidField)
    assert (error.code, error.field) == ("over_total_investment", "content.voucher.total")
    assert "5.000.000.001 đồng" in error.message and "5.000.000.000 đồng" in error.message


# --- 254/2025 Art.6 cl.5 ------------------------------------------------------------------------

def test_art6_cl5_254_payment_beyond_the_year_plan_is_refused():
    spent = Disbursed(to_date=900_000_000, by_year={YEAR: 900_000_000})
    assert investment.within_year_plan(terms(100_000_000), PROJECT, spent).passed
    over = investment.within_year_plan(terms(100_000_001), PROJECT, spent)
    assert (over.passed, over.problem) == (False, "over_year_plan")
    assert "1.000.000.001 đồng" in over.detail and "1.000.000.000 đồng" in over.detail


def test_art6_cl5_254_the_year_plan_counts_the_extended_plan_and_next_years_advance():
    assert PLAN.total == 1_000_000_000
    only_allocated = Project("7654321", 5_000_000_000, {YEAR: YearPlan(800_000_000)})
    assert not investment.within_year_plan(terms(900_000_000), only_allocated, Disbursed()).passed
    assert investment.within_year_plan(terms(900_000_000), PROJECT, Disbursed()).passed


def test_art6_cl5_254_another_years_disbursement_does_not_use_this_years_plan():
    spent = Disbursed(to_date=2_000_000_000, by_year={YEAR - 1: 2_000_000_000})
    assert investment.within_year_plan(terms(1_000_000_000), PROJECT, spent).passed


def test_art6_cl5_254_a_project_without_a_plan_for_the_year_is_refused_saying_so():
    no_plan = Project("7654321", 5_000_000_000, {YEAR - 1: PLAN})
    found = investment.within_year_plan(terms(1), no_plan, Disbursed())
    assert (found.passed, found.problem, found.field) == (
        False, "no_year_plan", "content.voucher.budget_year")
    assert str(YEAR) in found.detail


def test_art6_cl5_254_a_payment_counts_only_the_cash_it_pays_beyond_the_advance_it_recovers():
    payment = terms(300_000_000, advance_recovery=100_000_000)
    assert payment.disbursed == 200_000_000
    settlement = terms(300_000_000, kind="advance_settlement", difference_to_pay=50_000_000)
    assert settlement.disbursed == 50_000_000


# --- 254/2025 Art.6 cl.6 ------------------------------------------------------------------------

def test_art6_cl6_254_a_contract_item_paid_beyond_its_value_is_refused_naming_the_line():
    used = ContractUse(paid_by_item={"HM2": 350_000_000})
    lines = [{"amount": 100_000_000, "contract_item": "HM1"},
             {"amount": 50_000_001, "contract_item": "HM2"}]
    found = investment.within_contract_items(terms(150_000_001, lines=lines), used)
    assert (found.passed, found.field, found.problem) == (
        False, "content.voucher.lines[1].amount", "over_contract_item")
    assert "400.000.001 đồng" in found.detail and "400.000.000 đồng" in found.detail
    lines[1]["amount"] = 50_000_000
    assert investment.within_contract_items(terms(150_000_000, lines=lines), used).passed


def test_art6_cl6_254_lines_of_one_item_are_added_together():
    lines = [{"amount": 400_000_000, "contract_item": "HM1"},
             {"amount": 200_000_001, "contract_item": "HM1"}]
    assert not investment.within_contract_items(terms(600_000_001, lines=lines),
                                                ContractUse()).passed


def test_art6_cl6_254_a_line_must_name_an_item_of_the_contract_table():
    with pytest.raises(InvalidField) as unknown:
        terms(1, lines=[{"amount": 1, "contract_item": "HM9"}])
    assert (unknown.value.code, unknown.value.field) == (
        "unknown_contract_item", "content.voucher.lines[0].contract_item")
    with pytest.raises(InvalidField) as missing:
        terms(1, lines=[{"amount": 1}])
    assert missing.value.field == "content.voucher.lines[0].contract_item"


def test_art6_cl6_254_the_items_of_the_table_never_exceed_the_contract_value():
    raw = voucher(1)
    raw["contract"] = {**CONTRACT, "items": [{"code": "A", "value": 1_000_000_001}]}
    with pytest.raises(InvalidField) as error:
        investment.parse_terms(raw)
    assert (error.value.code, error.value.field) == ("contract_items_over_value",
                                                     "content.voucher.contract.items")


def test_art6_cl6_254_no_item_table_means_no_item_check_shown_as_not_required():
    raw = voucher(1, lines=[{"amount": 1}])
    raw["contract"] = {k: v for k, v in CONTRACT.items() if k != "items"}
    found = investment.within_contract_items(investment.parse_terms(raw), ContractUse())
    assert (found.passed, found.required) == (True, False)


# --- 254/2025 Art.6 cl.7 ------------------------------------------------------------------------

def test_art6_cl7_254_a_percentage_based_cost_is_paid_as_requested_without_an_item_check():
    used = ContractUse(paid_by_item={"HM1": 600_000_000})    # HM1 used up
    lines = [{"amount": 70_000_000, "percentage_based": True}]
    found = investment.within_contract_items(terms(70_000_000, lines=lines), used)
    assert found.passed
    assert terms(70_000_000, lines=lines).amount_by_item() == {}


# --- 254/2025 Art.6 cl.8 ------------------------------------------------------------------------

def test_art6_cl8_254_the_treasury_checks_what_the_documents_say_and_nothing_behind_them():
    """Completeness is the components' check (documents.check_manifest); what the dossier says is
    the figures above. Unit prices, quantities and rates are not read: a line's free text, its
    price or volume fields change nothing."""
    plain = investment.findings(terms(100_000_000), PROJECT, Disbursed(), ContractUse())
    detailed = investment.findings(
        terms(100_000_000, lines=[{"amount": 100_000_000, "contract_item": "HM1",
                                   "unit_price": 1, "quantity": 1, "content": "đơn giá sai"}]),
        PROJECT, Disbursed(), ContractUse())
    assert [f.passed for f in plain] == [f.passed for f in detailed]
    assert "NOT checked" in (investment.__doc__ or "")


# --- 254/2025 Art.9 cl.4 ------------------------------------------------------------------------

def test_art9_cl4_254_advances_beyond_the_year_plan_are_refused():
    spent = Disbursed(advances_by_year={YEAR: 700_000_000})
    assert investment.advance_within_year_plan(terms(300_000_000, kind="advance"), PROJECT,
                                               spent).passed
    over = investment.advance_within_year_plan(terms(300_000_001, kind="advance"), PROJECT, spent)
    assert (over.passed, over.problem) == (False, "advance_over_year_plan")
    payment = investment.advance_within_year_plan(terms(300_000_001), PROJECT, spent)
    assert (payment.passed, payment.required) == (True, False)


# --- 254/2025 Art.9 cl.5 ------------------------------------------------------------------------

def test_art9_cl5_254_reaching_80_percent_of_the_contract_the_recovery_must_clear_the_advance():
    used = ContractUse(volume_paid=700_000_000, open_advance=300_000_000)
    short = investment.advance_recovery(terms(100_000_000, advance_recovery=100_000_000), used)
    assert (short.passed, short.problem, short.field) == (
        False, "advance_not_recovered", "content.voucher.advance_recovery")
    assert "800.000.000 đồng" in short.detail and "300.000.000 đồng" in short.detail
    cleared = investment.advance_recovery(terms(300_000_000, advance_recovery=300_000_000), used)
    assert cleared.passed


def test_art9_cl5_254_below_80_percent_the_investor_recovers_as_the_contract_says():
    used = ContractUse(volume_paid=600_000_000, open_advance=300_000_000)
    assert investment.advance_recovery(terms(199_999_999, advance_recovery=0), used).passed


def test_art9_cl5_254_a_recovery_never_exceeds_the_advance_still_open():
    used = ContractUse(open_advance=100_000_000)
    over = investment.advance_recovery(terms(200_000_000, advance_recovery=100_000_001), used)
    assert (over.passed, over.problem) == (False, "recovery_over_open_advance")


def test_art9_cl5_254_only_a_payment_recovers_and_never_more_than_its_own_total():
    with pytest.raises(InvalidField) as error:
        terms(100, kind="advance", advance_recovery=1)
    assert (error.value.code, error.value.field) == ("recovery_not_allowed",
                                                     "content.voucher.advance_recovery")
    with pytest.raises(InvalidField) as error:
        terms(100, advance_recovery=101)
    assert error.value.code == "recovery_over_total"
