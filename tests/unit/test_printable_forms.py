"""The reconciliation and closing results as documents people keep (domain/printable.py): the
form the unit sent with the treasury's "khớp đúng" and its date (347/2025 Art.10 cl.8 pt.a), the
form returned confirming a mismatch with the differences and the re-reconciliation due time
(Art.10 cl.2 pt.c, cl.8 pt.b), and Mẫu 25 of a closed account with its forms (Art.9 cl.2 pt.c).
The views are built by the same pure functions the services use (reconciliation_forms.py,
closing.mau_25), so the forms printed are the forms the dossier shows."""
from __future__ import annotations

from datetime import date

import pytest

from chalicelib.domain import catalogue, printable
from chalicelib.domain import reconciliation_forms as forms
from chalicelib.services.closing import mau_25
from tests.unit.test_printable import CODE, HOSTILE, a_view, render, text_of

pytestmark = pytest.mark.unit
ACCOUNT = "3713.1.1012345"
PERIOD = {"from": "2026-10-01", "to": "2026-10-31"}
LEDGER = forms.LedgerFigures(opening=5_000_000, debits=1_200_000, credits=300_000,
                             closing=4_100_000, debits_ytd=9_000_000, credits_ytd=300_000)


def mau_32(opening: int, label: str = "") -> dict:
    cells = {"opening": opening, "increase": 300_000, "decrease": 1_200_000}
    cells["closing"] = opening + 300_000 - 1_200_000
    return forms.parse({"form": "32", "rows": [
        {"line": line, "label": label if line == "opening" else "", "cells": {"amount": amount}}
        for line, amount in cells.items()]}, "form", "deposit")


def reconciliation_view(unit_rows: dict, *, status: str, step: str | None, **block) -> dict:
    """A reconciliation dossier as services/printable hands it over: `reconciliation` is the
    block services/reconciliation.view builds from these same functions."""
    unit = forms.unit_form(unit_rows, ACCOUNT, PERIOD)
    treasury = forms.treasury_form(unit["form"], ACCOUNT, PERIOD, LEDGER)
    seen = {"unit_form": unit, "treasury_form": treasury,
            "differences": forms.differences(unit, treasury), **block}
    return a_view(procedure="balance_reconciliation", version="347-2025", account_id=ACCOUNT,
                  amount=None, voucher_number=None, status=status, step=step, content={},
                  reconciliation=seen)


def reconciled(label: str = "") -> dict:
    view = reconciliation_view(mau_32(5_000_000, label), status=catalogue.RECONCILED, step=None)
    view["reconciliation"]["confirmed_form"] = {
        **view["reconciliation"]["unit_form"], "confirmed": True,
        "confirmed_at": "2026-11-03T03:00:00Z"}
    return view


def returned(reason: str = "Số dư đầu kỳ chênh lệch 1.000 đồng.") -> dict:
    return reconciliation_view(
        mau_32(5_001_000), status=catalogue.AWAITING_SUPPLEMENT, step="re_reconcile",
        re_reconciliation={"due_at": "2026-11-04T03:00:00Z", "overdue": False,
                           "returned_at": "2026-11-03T03:00:00Z", "reason": reason})


def closed(reason: str = "Kết thúc dự án, không còn sử dụng.") -> dict:
    sent = [{"form": "26", "rows": [{"codes": {"chapter": "423", "sector": "070"},
                                     "cells": {"1": 100, "4": 20, "5": 120, "7": 50, "9": 70}}]},
            {"form": "28", "rows": [{"cells": {"1": 30, "2": 20, "3": 20, "4": 0, "5": 50,
                                               "6": 20}}]}]
    closing = {"account_id": "9523.9.123456", "reason": reason, "details": "Chuyển số dư về NSNN.",
               "period": PERIOD, "forms": sent}
    form = mau_25(closing, balance=70, closed_on=date(2026, 11, 3), reconciled_to=PERIOD["to"])
    unit_forms = [forms.unit_form(forms.parse(f, "form", "estimate"), closing["account_id"], PERIOD)
                  for f in sent]
    return a_view(procedure="account_closing", version="347-2025", account_id="9523.9.123456",
                  amount=None, voucher_number=None, status=catalogue.CLOSED, step=None,
                  content={}, closing_forms=unit_forms,
                  result={"outcome": catalogue.CLOSED, "account_id": "9523.9.123456",
                          "closed_at": "2026-11-03T04:00:00Z", "confirmed_form": form})


def kinds(view: dict) -> list[str]:
    return [d["kind"] for d in printable.available(view)]


def test_art10_cl8_pt_a_the_confirmed_form_prints_as_the_unit_sent_it_with_khop_dung_and_date():
    view = reconciled()
    assert kinds(view) == ["receipt_notice", "reconciliation_form"]
    assert printable.available(view)[1]["title"] == forms.FORMS["32"].title
    page = render("reconciliation_form", view)
    text = text_of(page)
    assert f"<h1>{forms.FORMS['32'].title}</h1>" in page
    assert "Mẫu số 32 — Kho bạc Nhà nước xác nhận khớp đúng" in text
    assert "Ký hiệu: 06-ĐCSDTK/KBNN" in text and ACCOUNT in text
    assert "Kỳ đối chiếu từ 01/10/2026 đến 31/10/2026" in text
    # the unit's lines as it sent them, labelled as Mẫu 32 labels them
    assert "Số dư đầu kỳ 5.000.000" in text and "Số dư cuối kỳ 4.100.000" in text
    assert "Phát sinh giảm trong kỳ 1.200.000" in text
    assert "khớp đúng với số liệu của Kho bạc Nhà nước" in text
    assert "Thời điểm xác nhận: 10:00 ngày 03/11/2026" in text
    assert f"Số: {CODE}/XNSD" in text and "ngày 03 tháng 11 năm 2026" in text


def test_art10_cl2_pt_c_a_form_not_yet_confirmed_has_no_confirmed_document():
    view = reconciliation_view(mau_32(5_000_000), status=catalogue.UNDER_REVIEW, step="review")
    assert kinds(view) == ["receipt_notice"]
    assert kinds(a_view()) == ["receipt_notice"]   # a payment has no reconciliation block


def test_art10_cl2_pt_c_the_returned_form_confirms_the_mismatch_line_by_line_with_the_due_time():
    view = returned()
    assert kinds(view) == ["receipt_notice", "reconciliation_mismatch"]
    text = text_of(render("reconciliation_mismatch", view))
    assert "Mẫu số 32 — Kho bạc Nhà nước xác nhận không khớp đúng" in text
    assert "không khớp đúng với số liệu của Kho bạc Nhà nước" in text
    # the unit's form, the treasury's, then the difference of the one line that differs
    assert "Số dư đầu kỳ 5.001.000" in text and "Số dư đầu kỳ 5.000.000" in text
    assert "Chỉ tiêu Cột Số liệu của đơn vị Số liệu của Kho bạc Nhà nước Chênh lệch" in text
    assert "Số dư đầu kỳ Số tiền 5.001.000 5.000.000 1.000" in text
    assert "Số dư cuối kỳ Số tiền 4.101.000 4.100.000 1.000" in text
    assert "Phát sinh tăng trong kỳ Số tiền" not in text      # lines that match are not differences
    assert "Ghi chú của Kho bạc Nhà nước: Số dư đầu kỳ chênh lệch 1.000 đồng." in text
    assert "chậm nhất 01 ngày làm việc" in text and "trước: 10:00 ngày 04/11/2026" in text
    assert f"Số: {CODE}/XNSD-KK" in text and "ngày 03 tháng 11 năm 2026" in text
    assert "quá hạn" not in text   # the page is the same whenever it is fetched


def test_art10_cl2_pt_c_an_estimate_forms_mismatch_is_shown_per_total_column():
    unit = forms.parse({"form": "26", "rows": [{"codes": {"chapter": "423"}, "cells": {
        "1": 100, "4": 20, "5": 120, "6": 10, "7": 50, "9": 70}}]}, "form", "estimate")
    view = reconciliation_view(unit, status=catalogue.AWAITING_SUPPLEMENT, step="re_reconcile",
                               re_reconciliation={"due_at": "2026-11-04T03:00:00Z",
                                                  "overdue": True, "returned_at": None,
                                                  "reason": None})
    text = text_of(render("reconciliation_mismatch", view))
    assert "Chỉ tiêu Chapter (1) (2)" in text and "1 423 100 0 0 20 120" in text   # numbered
    assert "Cộng — 100 0 0 20 120 10 50 0 70" in text
    assert "Chỉ tiêu (6) (7) (9) Cộng 900.000 8.700.000 4.100.000" in text   # the ledger's
    assert "Cộng (9) 70 4.100.000 -4.099.930" in text
    assert "Ghi chú" not in text and "ngày ... tháng ... năm ..." in text


def test_art9_cl2_pt_c_a_closed_accounts_mau_25_prints_the_confirmed_balance_and_its_forms():
    view = closed()
    assert kinds(view) == ["receipt_notice", "closing_form"]   # not also the Mẫu 22 kind
    assert printable.available(view)[1]["title"] == "Giấy đề nghị tất toán tài khoản"
    text = text_of(render("closing_form", view))
    assert "Mẫu số 25 — có xác nhận của Kho bạc Nhà nước" in text and "01-TTTK/KBNN" in text
    assert "Lý do Kết thúc dự án, không còn sử dụng." in text
    assert "Chi tiết đề nghị Chuyển số dư về NSNN." in text
    assert "Số dư xác nhận đến ngày 31/10/2026" in text
    assert "Ngày tài khoản bắt đầu hết hiệu lực 03/11/2026" in text
    assert "Bảng đối chiếu kèm theo Mẫu số 26, Mẫu số 28" in text
    assert "xác nhận số dư tài khoản đến ngày 31/10/2026 là 70 đồng" in text
    # each form as the unit sent it
    assert f"Mẫu số 26 (01a-SDKP/ĐVDT): {forms.FORMS['26'].title}" in text
    assert f"Mẫu số 28 (02a-SDKP/ĐVDT): {forms.FORMS['28'].title}" in text
    assert "Chỉ tiêu Chapter Sector (1)" in text and "1 423 070 100" in text
    assert f"Số: {CODE}/TTTK" in text and "ngày 03 tháng 11 năm 2026" in text


def test_art9_cl2_pt_c_mau_25_without_the_ledger_still_names_its_forms():
    view = closed()
    del view["closing_forms"]
    text = text_of(render("closing_form", view))
    assert "Bảng đối chiếu kèm theo Mẫu số 26, Mẫu số 28" in text and "(01a-SDKP" not in text


def test_art9_cl2_pt_c_and_art10_cl2_pt_c_every_value_the_unit_gave_is_escaped():
    pages = {"reconciliation_form": render("reconciliation_form", reconciled(label=HOSTILE)),
             "reconciliation_mismatch": render("reconciliation_mismatch", returned(HOSTILE)),
             "closing_form": render("closing_form", closed(HOSTILE) | {"unit_name": HOSTILE})}
    for kind, page in pages.items():
        assert "<script" not in page and "<img" not in page, kind
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;img" in page, kind
    hostile_code = mau_32(1)
    hostile_code["rows"][0]["codes"] = {HOSTILE[:40]: HOSTILE[:40]}
    page = render("reconciliation_form", reconciled() | {"reconciliation": {
        "confirmed_form": forms.unit_form(hostile_code, ACCOUNT, PERIOD)}})
    assert "<script" not in page


def test_the_form_kinds_render_with_every_placeholder_filled():
    for kind, view in (("reconciliation_form", reconciled()),
                       ("reconciliation_mismatch", returned()), ("closing_form", closed())):
        page = render(kind, view)
        assert "$" not in text_of(page), kind
        assert page.count("<h1>") == 1 and CODE in page
