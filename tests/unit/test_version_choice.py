"""Which version a dossier is bound to: 347/2025 Art.15 cl.1, one test per point (pt.d, the 2025
reconciliation forms, is not a version choice here)."""
from __future__ import annotations

from datetime import date

import pytest

from chalicelib.domain import catalogue

pytestmark = pytest.mark.unit


def test_art15_cl1_pt_a_budget_2025_regular_spending_stays_under_11_2020_art7_until_31_january_2026():
    code = "regular_spending_payment"
    bound = catalogue.version_in_force(code, date(2026, 1, 20), budget_year=2025)
    assert (bound.version, bound.legal_basis) == ("11-2020", "Nghị định 11/2020/NĐ-CP, Điều 7")
    assert catalogue.version_in_force(code, date(2026, 1, 31), budget_year=2025).version == "11-2020"
    # From 1 Feb 2026 nothing serves budget 2025: the version by date, whose year check refuses it.
    assert catalogue.version_in_force(code, date(2026, 2, 2), budget_year=2025).version == "347-2025"
    assert catalogue.version_in_force(code, date(2026, 1, 20), budget_year=2026).version == "347-2025"


def test_art15_cl1_pt_b_a_dossier_received_before_1_january_2026_is_bound_to_11_2020():
    for code in ("regular_spending_payment", "oda_recording", "balance_reconciliation",
                 "account_closing", "signature_specimens"):
        assert catalogue.version_in_force(code, date(2025, 12, 31)).version == "11-2020"
        assert catalogue.version_in_force(code, date(2026, 1, 1)).version == "347-2025"


def test_art15_cl1_pt_c_oda_under_a_treaty_signed_before_25_may_2020_keeps_11_2020_art10():
    before, on_the_day = date(2020, 5, 24), date(2020, 5, 25)
    for received in (date(2026, 3, 2), date(2031, 7, 1)):       # until the programme is completed
        kept = catalogue.version_in_force("oda_recording", received, 2026, treaty_signed_on=before)
        assert (kept.version, kept.legal_basis) == ("11-2020", "Nghị định 11/2020/NĐ-CP, Điều 10")
        assert catalogue.version_in_force("oda_recording", received, 2026,
                                          treaty_signed_on=on_the_day).version == "347-2025"
        assert catalogue.version_in_force("oda_recording", received, 2026).version == "347-2025"
    # The treaty date binds only ODA recording: other procedures keep their own choice.
    assert catalogue.version_in_force("regular_spending_payment", date(2026, 3, 2), 2026,
                                      treaty_signed_on=before).version == "347-2025"
