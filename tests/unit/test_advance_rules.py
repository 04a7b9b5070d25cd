"""The pure rules of advances and their settlement (347/2025 Art.6 cl.2 pt.b and pt.e)."""
from datetime import date

import pytest

from chalicelib.domain import advances
from chalicelib.domain.checks import payment_checks
from chalicelib.domain.errors import InvalidField
from chalicelib.domain.voucher import parse_voucher
from devstack.demo import sample_content

pytestmark = pytest.mark.unit
KINDS = ("payment", "advance", "advance_settlement")


def voucher(total: int = 10_000_000, **changes):
    raw = sample_content("ADV-1", total)["voucher"]
    raw.update(changes)
    return parse_voucher(raw, KINDS)


def contract(**changes) -> dict:
    return {"number": "HĐ-05/2026", "date": "2026-03-01", "value": 40_000_000, **changes}


def code_of(call) -> tuple[str, str]:
    with pytest.raises(InvalidField) as err:
        call()
    return err.value.code, err.value.field


def test_art6_cl2_pt_b_the_advance_rate_comes_from_the_contract_not_a_fixed_half():
    # 80% of 40 million: well above the old 50% cap, and allowed because the contract says so.
    v = voucher(32_000_000, payment_kind="advance", contract=contract(advance_rate_percent=80))
    assert v.advance_limit == 32_000_000
    assert code_of(lambda: voucher(32_000_001, payment_kind="advance",
                                   contract=contract(advance_rate_percent=80))) == (
        "advance_over_limit", "content.voucher.total")


def test_art6_cl2_pt_b_a_decision_stands_in_for_a_contract_and_its_amount_caps_the_advance():
    decision = contract(kind="order_decision", advance_amount=5_000_000, advance_rate_percent=30)
    assert voucher(5_000_000, payment_kind="advance", contract=decision).advance_limit == 5_000_000
    assert code_of(lambda: voucher(6_000_000, payment_kind="advance", contract=decision))[0] == \
        "advance_over_limit"


def test_art6_cl2_pt_b_an_advance_whose_contract_states_no_advance_is_refused():
    assert code_of(lambda: voucher(payment_kind="advance", contract=contract())) == (
        "advance_rate_required", "content.voucher.contract.advance_rate_percent")


@pytest.mark.parametrize("rate, field_code", [(0, "invalid_format"), (101, "invalid_format"),
                                              ("12.345", "invalid_format"), (12.5, "invalid_type"),
                                              (True, "invalid_type")])
def test_an_advance_rate_is_a_percentage_never_a_float(rate, field_code):
    assert code_of(lambda: voucher(payment_kind="advance",
                                   contract=contract(advance_rate_percent=rate))) == (
        field_code, "content.voucher.contract.advance_rate_percent")


def test_art6_cl2_pt_b_the_checklist_holds_an_advance_to_its_contract_rate():
    v = voucher(10_000_000, payment_kind="advance", contract=contract(advance_rate_percent="25"))
    (check,) = [c for c in payment_checks(v, balance=10**9, paid_under_contract=0)
                if c.code == "advance_within_contract_rate"]
    assert check.passed and check.detail == "10.000.000 / 10.000.000 đồng"


def test_art6_cl2_pt_e_settlement_above_advance_pays_the_difference():
    # 12 million against 10 left: the whole advance converts, 2 million is paid out.
    assert advances.settlement_problem(12_000_000, 2_000_000, 10_000_000) is None
    assert advances.settlement_problem(12_000_000, 0, 10_000_000)[0] == "over_advance"
    code, message = advances.settlement_problem(12_000_000, 1_000_000, 10_000_000)
    assert code == "over_advance"
    code, message = advances.settlement_problem(12_000_000, 3_000_000, 10_000_000)
    assert (code, "2.000.000 đồng" in message) == ("settlement_difference_mismatch", True)


def test_art6_cl2_pt_e_settlement_below_advance_leaves_the_rest_open():
    assert advances.settlement_problem(6_000_000, 0, 10_000_000) is None
    # a difference declared where nothing exceeds the advance is refused at submission
    assert advances.settlement_problem(6_000_000, 1_000_000, 10_000_000)[0] == \
        "settlement_difference_mismatch"


def test_art6_cl2_pt_e_settlement_equal_to_advance_converts():
    assert advances.settlement_problem(10_000_000, 0, 10_000_000) is None


def test_art6_cl2_pt_e_at_posting_only_the_converted_part_must_still_fit():
    # a rival settlement refused meanwhile left more open: the declared difference still pays
    assert advances.settlement_problem(12_000_000, 2_000_000, 11_000_000, at_posting=True) is None
    assert advances.settlement_problem(12_000_000, 2_000_000, 9_000_000,
                                       at_posting=True)[0] == "over_advance"


def test_art6_cl2_pt_e_a_difference_is_part_of_the_settlement_total():
    assert code_of(lambda: voucher(10_000_000, payment_kind="advance_settlement",
                                   related_dossier="0" * 26, difference_to_pay=10_000_000)) == (
        "invalid_amount", "content.voucher.difference_to_pay")
    v = voucher(10_000_000, payment_kind="advance_settlement", related_dossier="0" * 26,
                difference_to_pay=4_000_000)
    assert v.difference_to_pay == 4_000_000
    (balance,) = [c for c in payment_checks(v, balance=3_999_999, paid_under_contract=0)
                  if c.code == "within_balance"]
    assert not balance.passed and balance.detail.startswith("4.000.000")


def test_art6_cl2_pt_b_settlement_within_the_advance_item_group():
    # advance drawn on 6551 (stationery): 7001 (goods) is the same group; 6001 (salaries) is not
    assert advances.line_outside_advance_groups(["6551", "7001"], ["6551"]) is None
    assert advances.line_outside_advance_groups(["7001", "6001"], ["6551"]) == 1
    assert advances.item_group("6001") == "0129" and advances.item_group("7758") == "0132"


def test_art6_cl2_pt_b_deposit_accounts_need_no_economic_content_check():
    v = voucher(lines=[{**sample_content("x", 10_000_000)["voucher"]["lines"][0],
                        "economic_code": "9999", "amount": 10_000_000}], total=10_000_000)
    by_kind = {kind: {c.code: c for c in payment_checks(v, balance=10**9, paid_under_contract=0,
                                                        account_kind=kind)}["economic_codes_known"]
               for kind in ("estimate", "deposit")}
    assert not by_kind["estimate"].passed and by_kind["estimate"].required
    deposit = by_kind["deposit"]
    assert deposit.passed and not deposit.required and "tiền gửi" in deposit.detail
    assert deposit.public()["required"] is False


def test_art6_cl2_pt_e_open_advances_are_flagged_after_the_adjustment_period():
    assert advances.adjustment_period_end(2026) == date(2027, 1, 31)
    assert not advances.past_adjustment_period(2026, date(2027, 1, 31))
    assert advances.past_adjustment_period(2026, date(2027, 2, 1))
