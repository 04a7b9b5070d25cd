"""The officer's checklist: each check passes or fails on the figures, and says why."""
import copy

import pytest

from chalicelib.domain import catalogue, investment
from chalicelib.domain.checks import payment_checks
from chalicelib.domain.voucher import parse_voucher
from devstack.demo import sample_content
from devstack.samples import payment_like
from devstack.split_demo import budget_payment

pytestmark = pytest.mark.unit


def voucher(**changes):
    raw = copy.deepcopy(sample_content("C-1", 10_000_000)["voucher"])
    raw.update(changes)
    return parse_voucher(raw, ("payment", "advance"))


def by_code(checks):
    return {c.code: c for c in checks}


def test_a_plain_payment_within_its_balance_passes_every_check():
    checks = by_code(payment_checks(voucher(), balance=50_000_000, paid_under_contract=0))
    assert set(checks) == {"lines_sum_to_total", "economic_codes_known", "within_balance"}
    assert all(c.passed for c in checks.values())


def test_a_payment_above_the_available_balance_fails_the_balance_check():
    check = by_code(payment_checks(voucher(), balance=9_999_999, paid_under_contract=0))["within_balance"]
    assert not check.passed and "10.000.000 / 9.999.999" in check.detail


def test_an_unknown_economic_content_code_is_named():
    v = voucher(lines=[{**sample_content("x", 10_000_000)["voucher"]["lines"][0],
                        "economic_code": "9999", "amount": 10_000_000}], total=10_000_000)
    check = by_code(payment_checks(v, balance=10**9, paid_under_contract=0))["economic_codes_known"]
    assert not check.passed and "9999" in check.detail


def test_cumulative_payments_may_not_exceed_the_contract():
    contract = {"number": "HD-7/2026", "date": "2026-03-01", "value": 25_000_000}
    ok = by_code(payment_checks(voucher(contract=contract), balance=10**9,
                                paid_under_contract=15_000_000))["within_contract"]
    over = by_code(payment_checks(voucher(contract=contract), balance=10**9,
                                  paid_under_contract=15_000_001))["within_contract"]
    assert ok.passed and not over.passed


def test_art6_cl2_pt_b_an_advance_is_checked_against_the_contract_rate():
    contract = {"number": "HD-8/2026", "date": "2026-03-01", "value": 20_000_000,
                "advance_rate_percent": 50}
    checks = by_code(payment_checks(voucher(payment_kind="advance", contract=contract),
                                    balance=10**9, paid_under_contract=0))
    assert checks["advance_within_contract_rate"].passed   # 10,000,000 of 50% of 20,000,000
    assert "10.000.000 / 10.000.000 đồng" in checks["advance_within_contract_rate"].detail


def test_a_missing_account_fails_the_balance_check():
    assert not by_code(payment_checks(voucher(), balance=None,
                                      paid_under_contract=0))["within_balance"].passed


@pytest.mark.parametrize("proc", [p for p in catalogue.CATALOGUE if p.content_kind == "payment"],
                         ids=lambda p: p.workflow_name)
def test_the_catalogue_lists_exactly_the_checks_a_procedure_s_dossiers_can_get(proc):
    """The service shows only the checks the catalogue lists: every check a dossier of the
    procedure can get must be listed, and every listed one must be reachable."""
    contract = {"number": "HD-1", "date": "2026-01-05", "value": 40_000_000,
                "advance_rate_percent": 50}
    reachable = set()
    for kind in proc.payment_kinds:
        raw = payment_like(proc.code, "C-2", 1_000_000, payment_kind=kind, contract=contract,
                           related_dossier="0" * 26)["voucher"]
        v = parse_voucher(raw, proc.payment_kinds, blocks=proc.voucher_blocks)
        reachable |= {c.code for c in payment_checks(v, balance=1, paid_under_contract=0)}
        if v.kind.relates_to:
            reachable.add("related_dossier")   # added by the service for these kinds
        if investment.applies_to(proc.code):   # 254/2025: added by the service by code
            reachable |= set(investment.CHECK_CODES)
        if v.kind.balance_effect < 0:   # a debit may be split (Mẫu 14 / 18)
            split = dict(raw, budget_payment=budget_payment(400_000),
                         payee=dict(raw["payee"], amount=v.total - 400_000))
            v = parse_voucher(split, proc.payment_kinds, blocks=proc.voucher_blocks)
            reachable |= {c.code for c in payment_checks(v, balance=1, paid_under_contract=0)}
    assert reachable == set(proc.checks)
