"""Which law a reconciliation or closing dossier is bound to (347/2025 Art.15 cl.1 pt.d) and the
11/2020 articles the versions cite."""
from __future__ import annotations

from datetime import date

from chalicelib.domain import catalogue


def test_art15_cl1_pt_d_2025_figures_keep_11_2020_forms_until_the_reconciliation_deadline():
    before = catalogue.RECONCILIATION_2025_FORMS_UNTIL.toordinal() - 1
    for on in (date(2026, 1, 20), date.fromordinal(before)):
        bound = catalogue.version_in_force("balance_reconciliation", on, budget_year=2025)
        assert (bound.version, bound.legal_basis) == ("11-2020", "Nghị định 11/2020/NĐ-CP, Điều 13")
    after = catalogue.version_in_force("balance_reconciliation",
                                       catalogue.RECONCILIATION_2025_FORMS_UNTIL, budget_year=2025)
    assert after.version == "347-2025"


def test_art15_cl1_pt_d_2026_figures_use_347_forms_from_the_first_day():
    bound = catalogue.version_in_force("balance_reconciliation", date(2026, 1, 20), budget_year=2026)
    assert (bound.version, bound.legal_basis) == ("347-2025", "Nghị định 347/2025/NĐ-CP, Điều 10")


def test_11_2020_labels_reconciliation_is_article_13_closing_14():
    closing = catalogue.version_in_force("account_closing", date(2025, 12, 1))
    assert closing.legal_basis == "Nghị định 11/2020/NĐ-CP, Điều 14"
    rec = catalogue.version_in_force("balance_reconciliation", date(2025, 12, 1))
    assert rec.legal_basis == "Nghị định 11/2020/NĐ-CP, Điều 13"


def test_art10_cl2_pt_c_a_mismatch_returns_the_form_to_the_unit_for_one_working_day():
    proc = catalogue.get_version("balance_reconciliation", "347-2025")
    move = catalogue.transition(proc, "review", "does_not_match", supplements_used=1,
                                reason="Chênh lệch số dư cuối kỳ.")
    step = proc.step(move.next_step)
    assert (step.name, step.scope, step.working_days) == ("re_reconcile", "unit", 1)
    again = catalogue.transition(proc, "re_reconcile", "resubmit", supplements_used=1, reason=None)
    assert again.next_step == "review"


def test_art9_cl2_pt_c_closing_has_no_zero_balance_refusal():
    proc = catalogue.get_version("account_closing", "347-2025")
    assert [d.name for d in proc.step("close_account").decisions] == ["closed"]
