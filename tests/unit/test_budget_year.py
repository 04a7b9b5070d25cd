"""The budget years open on a day, and the version a voucher's budget year binds it to
(Decree 347/2025 Art. 15 cl. 1 pt. a, Art. 16 cl. 1)."""
from __future__ import annotations

from datetime import date

import pytest

from chalicelib.domain import budget_year, catalogue
from chalicelib.domain.errors import InvalidField

pytestmark = pytest.mark.unit
FIELD = "content.voucher.budget_year"


def test_art15_cl1_pt_a_the_previous_year_stays_open_until_31_january():
    assert budget_year.open_years(date(2027, 1, 31)) == (2026, 2027)
    assert budget_year.open_years(date(2027, 2, 1)) == (2027,)
    assert budget_year.open_years(date(2026, 12, 31)) == (2026,)
    assert budget_year.adjustment_period_end(2025) == date(2026, 1, 31)


def test_art15_cl1_pt_a_a_year_past_its_adjustment_period_is_refused():
    budget_year.require_open(2026, date(2027, 1, 31), FIELD)
    with pytest.raises(InvalidField) as caught:
        budget_year.require_open(2026, date(2027, 2, 1), FIELD)
    assert (caught.value.code, caught.value.field) == ("budget_year_closed", FIELD)
    assert "31/01/2027" in caught.value.message


def test_art16_cl1_a_year_not_yet_begun_is_refused():
    with pytest.raises(InvalidField) as caught:
        budget_year.require_open(2027, date(2026, 12, 31), FIELD)
    assert (caught.value.code, caught.value.field) == ("budget_year_not_open", FIELD)
    assert "2026" in caught.value.message


def test_art15_cl1_pt_a_budget_2025_spending_stays_under_decree_11_2020_in_january_2026():
    code = "regular_spending_payment"
    assert catalogue.version_in_force(code, date(2026, 1, 20), budget_year=2025).version == "11-2020"
    assert catalogue.version_in_force(code, date(2026, 1, 31), budget_year=2025).version == "11-2020"
    assert catalogue.version_in_force(code, date(2026, 1, 20), budget_year=2026).version == "347-2025"
    assert catalogue.version_in_force(code, date(2025, 12, 31), budget_year=2025).version == "11-2020"
    # No version serves budget 2025 in February: the one in force by date is chosen, and the
    # budget year's own check refuses the voucher.
    assert catalogue.version_in_force(code, date(2026, 2, 1), budget_year=2025).version == "347-2025"
    # Other procedures are chosen by the receipt date alone.
    assert catalogue.version_in_force("oda_recording", date(2026, 1, 20),
                                      budget_year=2025).version == "347-2025"


def test_art16_cl1_decree_347_applies_from_budget_year_2026():
    proc = catalogue.get_version("regular_spending_payment", "347-2025")
    assert proc.governs(2026) and proc.governs(2031) and not proc.governs(2025)
    old = catalogue.get_version("regular_spending_payment", "11-2020")
    assert old.serves(date(2026, 1, 31), 2025) and not old.serves(date(2026, 2, 1), 2025)
    assert not old.serves(date(2026, 1, 5), 2026)
