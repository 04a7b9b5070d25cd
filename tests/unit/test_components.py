"""Which documents a dossier must carry, from the catalogue's components and the voucher."""
from __future__ import annotations

import dataclasses

import pytest

from chalicelib.domain import catalogue, components
from chalicelib.domain.voucher import Voucher, parse_voucher
from devstack.demo import sample_content

pytestmark = pytest.mark.unit
PROJECT = {"code": "7654321", "name": "Dự án"}
FUNDING = {"agreement_number": "IDA-1", "lender": "IDA", "currency": "USD", "original_amount": "1"}


def needs(proc, **voucher_fields) -> dict[str, components.Need]:
    raw = sample_content("N-1", procedure=proc.code, **{"budget_year": 2026, **voucher_fields}
                         )["voucher"]
    voucher = parse_voucher(raw, proc.payment_kinds, blocks=proc.voucher_blocks)
    return {n.component.kind: n for n in components.needs(proc, voucher)}


def test_a_payment_needs_the_year_s_estimate_approval_once_and_a_contract_only_above_50_million():
    proc = catalogue.REGULAR_SPENDING_PAYMENT_347
    plain = needs(proc)
    assert (plain["estimate_approval"].required, plain["estimate_approval"].reference) == (True, "2026")
    assert "contract" not in plain            # nothing to identify a contract by
    small = needs(proc, contract={"number": "HD-1", "date": "2026-01-05", "value": 50_000_000})
    big = needs(proc, contract={"number": "HD-2", "date": "2026-01-05", "value": 50_000_001})
    assert small["contract"].required is False and big["contract"].required is True
    assert big["contract"].reference == "HD-2"
    assert plain["payee_list"].required is False


def test_art6_cl2_pt_d_spending_from_a_deposit_account_needs_the_approved_estimate_too():
    # Other lawful revenue (a deposit account) is paid "when the spending is in the estimate the
    # competent authority assigned, within the account's balance": the estimate approval is asked
    # for whatever the account, though the economic-code check is not (pt.b).
    proc = catalogue.REGULAR_SPENDING_PAYMENT_347
    payer = {"unit_code": "1012345", "chapter_code": "422", "account": "3713.1.1012345"}
    deposit = needs(proc, account=payer["account"])
    assert (deposit["estimate_approval"].required, deposit["estimate_approval"].reference) == \
        (True, "2026")


def test_components_follow_the_payment_kind():
    proc = catalogue.REGULAR_SPENDING_PAYMENT_347
    settlement = needs(proc, payment_kind="advance_settlement", related_dossier="0" * 26)
    assert "estimate_approval" not in settlement and "settlement_statement" in settlement
    assert "settlement_statement" not in needs(proc)


def test_investment_and_foreign_capital_documents_are_identified_by_project_year_and_loan():
    invest = needs(catalogue.INVESTMENT_CAPITAL_PAYMENT, project=PROJECT)
    assert invest["investment_decision"].reference == "7654321"
    assert invest["capital_plan"].reference == "7654321#2026"
    oda = needs(catalogue.ODA_RECORDING_347, payment_kind="oda_recording", project=PROJECT,
                funding=FUNDING)
    assert oda["funding_agreement"].reference == "IDA-1"
    assert (oda["donor_notice"].required, oda["donor_notice"].reference) == (True, None)


def test_every_one_time_component_names_voucher_fields_that_exist():
    fields = {f.name for f in dataclasses.fields(Voucher)}
    for proc in catalogue.CATALOGUE:
        for c in proc.components:
            assert c.one_time == bool(c.reference), c.kind
            assert set(c.reference) <= fields, c.kind
            assert not c.payment_kinds or set(c.payment_kinds) & set(proc.payment_kinds), c.kind
