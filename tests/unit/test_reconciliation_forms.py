"""The reconciliation forms of 347/2025 (Mẫu 26-32) as pure data: parsing the unit's form,
computing the treasury's from ledger figures, and the differences line by line."""
from __future__ import annotations

import pytest

from chalicelib.domain import reconciliation_forms as forms
from chalicelib.domain.errors import InvalidField

PERIOD = {"from": "2026-07-01", "to": "2026-09-30"}
LEDGER = forms.LedgerFigures(opening=1_000, debits=300, credits=50, closing=750,
                             debits_ytd=900, credits_ytd=100)


def mau_32(opening=1_000, increase=50, decrease=300, closing=750) -> dict:
    return {"form": "32", "rows": [
        {"line": "opening", "cells": {"amount": opening}},
        {"line": "increase", "cells": {"amount": increase}},
        {"line": "decrease", "cells": {"amount": decrease}},
        {"line": "closing", "cells": {"amount": closing}}]}


def mau_26(lines: list[tuple[int, int, int]]) -> dict:
    """Lines of (estimate (4), used in the period (6), used to date (7))."""
    return {"form": "26", "rows": [
        {"codes": {"A": "12", "B": "341", "C": "00000"},
         "cells": {"4": est, "5": est, "6": used, "7": ytd, "9": est - ytd}}
        for est, used, ytd in lines]}


def compare(body: dict, kind: str) -> list[dict]:
    unit = forms.unit_form(forms.parse(body, "f", kind), "3713.1.1", PERIOD)
    return forms.differences(unit, forms.treasury_form(body["form"], "3713.1.1", PERIOD, LEDGER))


def test_art10_cl3_pt_d_deposit_form_32_matching_the_ledger_has_no_differences():
    assert compare(mau_32(), "deposit") == []


def test_art10_cl2_pt_c_form_32_differences_name_the_line_and_both_figures():
    diffs = compare(mau_32(decrease=299, closing=751), "deposit")
    assert [(d["field"], d["line"], d["unit"], d["treasury"]) for d in diffs] == [
        ("rows[2].cells.amount", "decrease", 299, 300), ("rows[3].cells.amount", "closing", 751, 750)]


def test_art10_cl3_pt_a_form_26_totals_of_usage_and_remaining_are_compared_with_the_ledger():
    # used in the period 300-50=250, to date 900-100=800, remaining = closing 750
    assert compare(mau_26([(1_000, 200, 500), (550, 50, 300)]), "estimate") == []
    diffs = compare(mau_26([(1_000, 200, 500), (550, 60, 300)]), "estimate")
    assert [(d["field"], d["unit"], d["treasury"]) for d in diffs] == [("totals.6", 260, 250)]


def test_form_lines_must_follow_the_forms_own_formulas():
    body = mau_26([(1_000, 200, 500)])
    body["rows"][0]["cells"]["9"] = 499          # (9) = (5) - (7) = 500
    with pytest.raises(InvalidField) as err:
        forms.parse(body, "content.reconciliation.form", "estimate")
    assert (err.value.code, err.value.field) == ("formula_broken",
                                                 "content.reconciliation.form.rows[0].cells.9")
    with pytest.raises(InvalidField) as err:
        forms.parse(mau_32(closing=751), "f", "deposit")
    assert err.value.code == "formula_broken"


def test_art10_cl3_each_form_serves_its_account_kind():
    with pytest.raises(InvalidField) as err:
        forms.parse(mau_32(), "f", "estimate")
    assert (err.value.code, err.value.field) == ("form_not_for_account", "f.form")
    with pytest.raises(InvalidField) as err:
        forms.parse({"form": "99", "rows": []}, "f", "deposit")
    assert err.value.code == "unknown_form"


def test_a_cell_outside_the_form_or_not_whole_dong_is_refused_with_its_path():
    body = mau_32()
    body["rows"][1]["cells"]["amount"] = 1.5
    with pytest.raises(InvalidField) as err:
        forms.parse(body, "f", "deposit")
    assert err.value.field == "f.rows[1].cells.amount"
    body = mau_26([(1, 1, 1)])
    body["rows"][0]["cells"]["10"] = 1
    with pytest.raises(InvalidField) as err:
        forms.parse(body, "f", "estimate")
    assert (err.value.code, err.value.field) == ("unknown_column", "f.rows[0].cells")


def test_the_form_is_a_plain_document_with_rows_and_totals():
    doc = forms.unit_form(forms.parse(mau_26([(1_000, 200, 500)]), "f", "estimate"), "3713.1.1",
                          PERIOD)
    assert (doc["form"], doc["symbol"], doc["period"]) == ("26", "01a-SDKP/ĐVDT", PERIOD)
    assert doc["totals"]["7"] == 500 and doc["rows"][0]["codes"]["B"] == "341"
    treasury = forms.treasury_form("29", "3713.1.1", PERIOD, LEDGER)
    assert treasury["totals"] == {"5": 250, "6": 800}


def test_art9_cl3_closing_form_sets_by_account_kind_and_channel():
    assert {"27", "29"} in forms.CLOSING_SETS["estimate"]
    assert {"26", "28"} in forms.CLOSING_SETS["estimate"]
    assert forms.CLOSING_SETS["deposit"] == ({"32"},)
