"""Decree 254/2025's investment procedures in the catalogue: when they apply, their time limits,
their review, and the rules an investor's dossier meets at receipt (domain/investment_dossier.py).
Every date is pinned: nothing here reads the clock."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from chalicelib.domain import catalogue, components, investment_dossier
from chalicelib.domain.errors import InvalidField
from chalicelib.domain.voucher import parse_voucher
from devstack.samples import payment_like

pytestmark = pytest.mark.unit
CODES = ("investment_capital_payment", "project_management_costs", "foreign_capital_spending")
V254 = {code: catalogue.get_version(code, "254-2025") for code in CODES}
ACCEPTED = {"accepted_on": "2026-06-30"}
BIG_CONTRACT = {"number": "HD-XL-01", "date": "2026-03-01", "effective_date": "2026-03-05",
                "value": 12_000_000_000, "advance_rate_percent": 10}     # advance 1.2 billion


def voucher(proc, kind="payment", amount=1_000_000, **extra):
    raw = payment_like(proc.code, "V-1", amount, payment_kind=kind, budget_year=2026,
                       **{"investment": ACCEPTED, **extra})["voucher"]
    return parse_voucher(raw, proc.payment_kinds, blocks=proc.voucher_blocks)


def needs(proc, kind="payment", amount=1_000_000, **extra) -> dict[str, components.Need]:
    return {n.component.kind: n for n in components.needs(proc, voucher(proc, kind, amount, **extra))}


def refused(call) -> InvalidField:
    with pytest.raises(InvalidField) as caught:
        call()
    return caught.value


# --- when they apply ---------------------------------------------------------------------------

@pytest.mark.parametrize("code", CODES)
def test_d254_art56_cl1_the_254_versions_are_in_force_from_their_signing_26_september_2025(code):
    assert V254[code].effective_from == date(2025, 9, 26) and V254[code].effective_to is None
    assert catalogue.version_in_force(code, date(2025, 9, 26)) is V254[code]
    assert V254[code].legal_basis.startswith("Nghị định 254/2025/NĐ-CP, Điều 2")


@pytest.mark.parametrize("code", CODES)
def test_d254_art54_cl1_no_dossier_received_from_26_september_2025_is_bound_to_decree_11_2020(code):
    assert catalogue.version_in_force(code, date(2025, 9, 25)).version == "11-2020"
    for received in (date(2025, 9, 26), date(2026, 1, 20), date(2027, 2, 11)):
        for year in (None, received.year - 1, received.year):
            assert catalogue.version_in_force(code, received, year).version == "254-2025"


def test_d254_art54_cl1_the_legal_dossier_already_on_file_is_not_asked_for_again():
    # The one-time components keep the kinds and references they had under 11/2020, so what an
    # investor sent before 26 Sep 2025 is still on file for the 254 versions.
    for code in CODES:
        old = {c.kind: c.reference for c in catalogue.get_version(code, "11-2020").components
               if c.one_time}
        new = {c.kind: c.reference for c in V254[code].components if c.one_time}
        assert {k: v for k, v in new.items() if k in old} == \
            {k: v for k, v in old.items() if k in new}
        assert {"investment_decision", "capital_plan"} <= set(new)


# --- time limits ------------------------------------------------------------------------------

@pytest.mark.parametrize("code", ["investment_capital_payment", "project_management_costs"])
def test_d254_art12_cl4_art23_cl4_an_advance_is_paid_in_one_working_day_and_a_payment_in_two(code):
    received = datetime(2026, 3, 10, 3, tzinfo=UTC)     # a Tuesday morning in Hà Nội
    proc = V254[code]
    assert proc.sla_days(received, "advance") == 1
    assert proc.sla_days(received, "payment") == 2
    assert proc.sla_days(received, "advance_settlement") == 2   # a payment recovering an advance
    assert proc.due_at(received, payment_kind="advance") == datetime(2026, 3, 11, 10, tzinfo=UTC)
    assert proc.due_at(received, payment_kind="payment") == datetime(2026, 3, 12, 10, tzinfo=UTC)


def test_d254_art24_cl4_foreign_capital_is_paid_in_two_working_days_an_advance_in_one():
    received = datetime(2026, 3, 10, 3, tzinfo=UTC)
    proc = V254["foreign_capital_spending"]
    assert (proc.sla_days(received, "payment"), proc.sla_days(received, "advance")) == (2, 1)
    assert proc.public()["sla_by_kind"] == {"advance": 1}


@pytest.mark.parametrize("received", [datetime(2026, 12, 28, 3, tzinfo=UTC),
                                      datetime(2027, 1, 26, 3, tzinfo=UTC)])
def test_d254_art12_cl4_the_347_year_end_windows_do_not_lengthen_254_limits(received):
    for proc in V254.values():
        assert (proc.sla_days(received, "advance"), proc.sla_days(received, "payment")) == (1, 2)
    # ... while 347/2025 Art.6 cl.5 still gives regular spending its two days then.
    assert catalogue.REGULAR_SPENDING_PAYMENT_347.sla_days(received, "advance") == 2


# --- the review -------------------------------------------------------------------------------

@pytest.mark.parametrize("code", CODES)
def test_d254_art8_cl9_an_incomplete_dossier_is_refused_with_its_reasons_not_sent_back_to_supplement(
        code):
    proc = V254[code]
    assert proc.supplement_limit == 0
    assert [d.name for d in catalogue.available_decisions(proc, "review", supplements_used=0)] \
        == ["accept", "refuse"]
    with pytest.raises(InvalidField) as caught:
        catalogue.transition(proc, "review", "refuse", supplements_used=0, reason=" ")
    assert caught.value.code == "reason_required"
    assert catalogue.transition(proc, "review", "refuse", supplements_used=0,
                                reason="Thiếu bảng xác định khối lượng.").to_status == catalogue.REFUSED
    with pytest.raises(InvalidField):
        catalogue.transition(proc, "review", "request_supplement", supplements_used=0,
                             reason="bổ sung")
    # The written refusal is due within 2 working days of receipt: every limit is at most that.
    assert max(proc.sla_working_days, *dict(proc.sla_by_kind).values()) <= 2


# --- the dossier's components -----------------------------------------------------------------

def test_d254_art8_cl1_the_legal_dossier_is_one_time_per_project_and_contract():
    got = needs(V254["investment_capital_payment"], contract=BIG_CONTRACT)
    assert got["investment_decision"].reference == "7654321"
    assert got["capital_plan"].reference == "7654321#2026"
    assert (got["contract_summary"].required, got["contract_summary"].reference) == \
        (True, "7654321#HD-XL-01")
    assert got["estimate_summary"].required is False          # the work is under a contract
    without = needs(V254["investment_capital_payment"])
    assert without["estimate_summary"].required is True       # Art.8 cl.1 pt.đ


def test_d254_art8_cl3_a_payment_carries_03a_and_a_recovery_04b():
    proc = V254["investment_capital_payment"]
    payment = needs(proc)
    assert payment["completed_volume"].required
    assert payment["advance_recovery_request"].required is False     # nothing recovered
    recovering = needs(proc, advance_recovery=400_000)                 # Art.8 cl.3 pt.a (iii)
    assert recovering["advance_recovery_request"].required and recovering["completed_volume"].required
    recovery = needs(proc, kind="advance_settlement", related_dossier="0" * 26)
    assert recovery["advance_recovery_request"].required and recovery["completed_volume"].required


def test_d254_art9_cl2_pt_a_an_advance_above_one_billion_needs_the_guarantee_naming_the_figure():
    got = needs(V254["investment_capital_payment"], "advance", 1_000_000, contract=BIG_CONTRACT)
    guarantee = got["advance_guarantee"]
    assert guarantee.required is True
    assert "1.200.000.000 đồng" in guarantee.why and "1.000.000.000 đồng" in guarantee.why
    assert "advance_guarantee" not in needs(V254["investment_capital_payment"])   # a payment


def test_d254_art9_cl2_pt_b_i_an_advance_of_one_billion_or_less_needs_no_guarantee():
    exactly = dict(BIG_CONTRACT, value=10_000_000_000)            # 10% = 1,000,000,000
    got = needs(V254["foreign_capital_spending"], "advance", 1_000_000, contract=exactly)
    assert got["advance_guarantee"].required is False


@pytest.mark.parametrize("work", ["self_performed_contract", "pm_consultancy_contract",
                                  "without_contract", "compensation"])
def test_d254_art9_cl2_pt_b_exempt_work_needs_no_guarantee(work):
    got = needs(V254["investment_capital_payment"], "advance", 1_000_000, contract=BIG_CONTRACT,
                investment={"work": work})
    assert got["advance_guarantee"].required is False


def test_d254_art9_cl2_pt_b_iv_compensation_building_works_are_not_exempt():
    got = needs(V254["investment_capital_payment"], "advance", 1_000_000, contract=BIG_CONTRACT,
                investment={"work": "compensation_works"})
    assert got["advance_guarantee"].required is True


def test_d254_art9_cl2_pt_b_v_project_management_cost_advances_need_no_guarantee():
    got = needs(V254["project_management_costs"], "advance", 1_000_000, contract=BIG_CONTRACT)
    assert "advance_guarantee" not in got


# --- the dates that let a dossier in ----------------------------------------------------------

def terms(**fields) -> investment_dossier.Terms:
    return investment_dossier.Terms(**{"work": "contract", **fields})


def test_d254_art9_cl1_an_advance_only_after_the_contract_has_taken_effect():
    check = investment_dossier.check_at_receipt
    check("advance", 2026, terms(contract_effective_on=date(2026, 3, 5)), date(2026, 3, 5))
    late = refused(lambda: check("advance", 2026, terms(contract_effective_on=date(2026, 3, 6)),
                                 date(2026, 3, 5)))
    assert (late.code, late.field) == ("contract_not_in_effect", "content.voucher.contract.effective_date")
    assert "06/03/2026" in late.message
    missing = refused(lambda: check("advance", 2026, terms(), date(2026, 3, 5)))
    assert (missing.code, missing.field) == ("required", "content.voucher.contract.effective_date")
    check("advance", 2026, terms(work="without_contract"), date(2026, 3, 5))   # no contract


def test_d254_art9_cl1_the_effective_date_is_read_from_the_voucher_s_contract():
    v = voucher(V254["investment_capital_payment"], "advance", contract=BIG_CONTRACT)
    assert v.investment == investment_dossier.Terms("contract", date(2026, 6, 30), date(2026, 3, 5))


def test_d254_art12_cl1_an_advance_against_year_n_is_received_until_31_december_n():
    check, on = investment_dossier.check_at_receipt, terms(contract_effective_on=date(2026, 1, 2))
    check("advance", 2026, on, date(2026, 12, 31))
    late = refused(lambda: check("advance", 2026, on, date(2027, 1, 1)))
    assert (late.code, late.field) == ("advance_period_over", "content.voucher.budget_year")
    assert "31/12/2026" in late.message


def test_d254_art12_cl1_a_compensation_advance_is_received_until_31_january_n_plus_1():
    check, on = investment_dossier.check_at_receipt, terms(work="compensation")
    check("advance", 2026, on, date(2027, 1, 31))
    late = refused(lambda: check("advance", 2026, on, date(2027, 2, 1)))
    assert late.code == "advance_period_over" and "31/01/2027" in late.message


def test_d254_art12_cl2_volume_accepted_by_31_december_n_is_paid_until_31_january_n_plus_1():
    check = investment_dossier.check_at_receipt
    check("payment", 2026, terms(accepted_on=date(2026, 12, 31)), date(2027, 1, 31))
    late = refused(lambda: check("payment", 2026, terms(accepted_on=date(2026, 12, 31)),
                                 date(2027, 2, 1)))
    assert (late.code, late.field) == ("payment_period_over", "content.voucher.budget_year")
    assert "31/01/2027" in late.message
    recovery = refused(lambda: check("advance_settlement", 2026,
                                     terms(accepted_on=date(2026, 12, 1)), date(2027, 2, 1)))
    assert recovery.code == "payment_period_over"


def test_d254_art12_cl2_volume_accepted_after_31_december_n_is_not_paid_from_year_n():
    check = investment_dossier.check_at_receipt
    after = refused(lambda: check("payment", 2026, terms(accepted_on=date(2027, 1, 2)),
                                  date(2027, 1, 5)))
    assert (after.code, after.field) == ("accepted_after_plan_year",
                                         "content.voucher.investment.accepted_on")
    assert "31/12/2026" in after.message
    future = refused(lambda: check("payment", 2026, terms(accepted_on=date(2026, 5, 2)),
                                   date(2026, 5, 1)))
    assert future.code == "accepted_in_future"


def test_d254_art12_cl2_a_payment_states_the_acceptance_date():
    proc = V254["investment_capital_payment"]
    raw = payment_like(proc.code, "V-1", budget_year=2026, investment={})["voucher"]
    err = refused(lambda: parse_voucher(raw, proc.payment_kinds, blocks=proc.voucher_blocks))
    assert (err.code, err.field) == ("required", "content.voucher.investment.accepted_on")


def test_d254_art12_cl3_an_extension_decision_sets_the_last_day():
    check = investment_dossier.check_at_receipt
    extended = terms(accepted_on=date(2027, 3, 1), extended_until=date(2027, 6, 30))
    check("payment", 2026, extended, date(2027, 6, 30))
    assert refused(lambda: check("payment", 2026, extended, date(2027, 7, 1))).code == \
        "payment_period_over"


def test_a_plan_year_not_begun_is_refused():
    err = refused(lambda: investment_dossier.check_at_receipt(
        "payment", 2027, terms(accepted_on=date(2026, 5, 1)), date(2026, 5, 2)))
    assert (err.code, err.field) == ("plan_year_not_begun", "content.voucher.budget_year")
