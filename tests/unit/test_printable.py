"""The results as documents people keep (domain/printable.py): each kind's fields, the treasury's
header, the dossier code and its QR code, and HTML escaping of every value a user gave."""
from __future__ import annotations

import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from chalicelib.domain import budget_forms, catalogue, printable
from chalicelib.domain.receipt_notice import receipt_notice
from chalicelib.domain.voucher import vnd

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]
CODE = "01JNZ3Q8W5X6Y7Z8A9B0C1D2E3"
HOSTILE = '<script>alert("x")</script> & <img src=x onerror=1>'


def a_view(**overrides) -> dict:
    """A regular-spending payment as the service hands it over (dates of 2026 are the dossier's
    own, not the clock's: a document shows the instants of its dossier)."""
    view = {"dossier_id": CODE, "procedure": "regular_spending_payment", "version": "347-2025",
            "unit_id": "1012345", "office_id": "KV1", "account_id": "9523.1.1012345",
            "amount": 12_500_000, "payment_kind": "payment", "voucher_number": "C2-02/123",
            "status": catalogue.UNDER_REVIEW, "step": "review",
            "received_at": "2026-03-09T02:15:00Z", "due_at": "2026-03-11T10:00:00Z",
            "result": None, "extensions": [],
            "content": {"documents": [{"kind": "payee_list", "name": "bang-ke.pdf"}]},
            "unit_name": "Trường THPT Chu Văn An", "office_name": "Kho bạc Nhà nước Khu vực I"}
    view = {**view, **overrides}
    # The notice the service hands over with it (services/receipt_notices.py), built by the one
    # pure function that also answers GET /v1/dossiers/{id}/receipt-notice.
    view["receipt_notice"] = receipt_notice(
        {**view, "procedure_version": view["version"]},
        {"office_id": view["office_id"], "name": view["office_name"]})
    return view


def paid() -> dict:
    return a_view(status=catalogue.PAID, result={"outcome": catalogue.PAID, "debit_advice": {
        "number": "GBN-TAB-000123", "ledger_reference": "TAB-000123",
        "account_id": "9523.1.1012345", "amount": 12_500_000, "posted_at": "2026-03-10T03:30:00Z"}})


def refused(reason: str = "Chứng từ thiếu chữ ký của kế toán trưởng.") -> dict:
    return a_view(status=catalogue.REFUSED, result={
        "outcome": catalogue.REFUSED, "reason": reason, "decided_at": "2026-03-10T04:00:00Z",
        "decided_by": "kiemsoat.kv1"})


def render(kind: str, view: dict) -> str:
    return printable.render(printable.KINDS[kind], view)


def text_of(page: str) -> str:
    """What a reader sees: the page's text, outside the style sheet, whitespace folded."""
    class Text(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.parts: list[str] = []
            self.skip = False

        def handle_starttag(self, tag, attrs):
            self.skip = tag in ("style", "svg")

        def handle_endtag(self, tag):
            self.skip = False if tag in ("style", "svg") else self.skip

        def handle_data(self, data):
            if not self.skip:
                self.parts.append(data)
    parser = Text()
    parser.feed(page)
    return re.sub(r"\s+", " ", " ".join(parser.parts))


def test_art3_cl4_pt_a_receipt_notice_names_the_dossier_and_the_promised_result_date():
    page = render("receipt_notice", a_view())
    text = text_of(page)
    assert "Thông báo tiếp nhận hồ sơ" in text and "Tiếp nhận hồ sơ và hẹn trả kết quả" in text
    assert f"Mã số hồ sơ: {CODE}" in text
    assert "Kiểm soát, thanh toán các khoản chi thường xuyên" in text
    assert "09:15 ngày 09/03/2026" in text           # received, Hà Nội time
    assert "Hẹn trả kết quả 17:00 ngày 11/03/2026" in text
    limit = catalogue.get_version("regular_spending_payment", "347-2025").sla_working_days
    assert f"Thời hạn giải quyết {limit} ngày làm việc" in text and "bang-ke.pdf" in text
    assert "ngày 09 tháng 03 năm 2026" in text       # dated the day it was received


def test_art3_cl4_pt_a_receipt_notice_keeps_the_promised_date_and_says_the_extension():
    view = a_view(due_at="2026-03-13T10:00:00Z", extensions=[
        {"step": "review", "cause": "it_failure", "reason": "Sự cố đường truyền",
         "working_days": 2, "from_due_at": "2026-03-11T10:00:00Z",
         "to_due_at": "2026-03-13T10:00:00Z", "by": "lanhdao.kv1", "at": "2026-03-10T03:00:00Z"}])
    text = text_of(render("receipt_notice", view))
    assert "Hẹn trả kết quả 17:00 ngày 11/03/2026" in text
    assert "gia hạn đến: 17:00 ngày 13/03/2026" in text
    assert "lanhdao.kv1" not in text                  # who extended is not the unit's document


def test_art6_cl2_pt_i_debit_advice_shows_the_posted_advice():
    text = text_of(render("debit_advice", paid()))
    assert "Giấy báo Nợ" in text and "Số: GBN-TAB-000123" in text
    assert vnd(12_500_000) in text and "9523.1.1012345" in text and "TAB-000123" in text
    assert "10:30 ngày 10/03/2026" in text and "C2-02/123" in text
    assert "ngày 10 tháng 03 năm 2026" in text


def test_art6_cl2_pt_i_a_split_vouchers_debit_advice_shows_both_parts():
    view = paid()
    view["result"]["debit_advice"] |= {"payee_amount": 11_000_000, "budget_payment": {
        "amount": 1_500_000, "revenue_account": "7111", "tax_code": "0101234567"}}
    text = text_of(render("debit_advice", view))
    assert vnd(1_500_000) in text and "7111" in text and "0101234567" in text
    assert vnd(11_000_000) in text


def test_art6_cl2_pt_k_refusal_notice_mau_33_carries_the_decision_reason_basis_and_office():
    text = text_of(render("refusal_notice", refused()))
    assert "<h1>Thông báo</h1>" in render("refusal_notice", refused())     # as Mẫu 33 heads it
    assert "Kết quả giải quyết thủ tục hành chính" in text
    assert f"Kho bạc Nhà nước từ chối đề nghị tại hồ sơ số {CODE} ngày 09 tháng 03 năm 2026" in text
    assert "Kiểm soát, thanh toán các khoản chi thường xuyên, chứng từ số C2-02/123" in text
    assert "Lý do: Chứng từ thiếu chữ ký của kế toán trưởng." in text
    assert "Căn cứ: Nghị định 347/2025/NĐ-CP, Điều 6." in text
    assert "Sau khi kiểm tra, Kho bạc Nhà nước Khu vực I thông báo" in text
    assert f"Số: {CODE}/TB-KBNN" in text and "ngày 10 tháng 03 năm 2026" in text
    assert "Trường THPT Chu Văn An (mã ĐVQHNS 1012345)" in text      # Nơi nhận
    assert "kiemsoat.kv1" not in text   # the office signs; who decided stays inside the treasury


def test_a_confirmed_mau_22_prints_the_signed_form_and_the_treasurys_part():
    signed = {"number": "TC-01", "budget_year": 2026, "unit": {"unit_code": "1012345"},
              "basis": {"estimate_year": 2025, "annual_estimate": 1_200_000_000}}
    form = budget_forms.confirmed_form("22", signed, confirmation={
        "number": "TC-" + CODE, "amount": 300_000_000, "confirmed_at": "2026-01-05T02:00:00Z"})
    view = a_view(procedure="temporary_allocation", status=catalogue.RECORDED,
                  result={"outcome": catalogue.RECORDED, "confirmed_form": form})
    assert {d["kind"] for d in printable.available(view)} == {"receipt_notice", "confirmed_form"}
    assert printable.available(view)[1]["title"] == "Giấy đề nghị tạm cấp dự toán ngân sách"
    text = text_of(render("confirmed_form", view))
    assert "Mẫu số 22 — có xác nhận của Kho bạc Nhà nước" in text and "C6-13/NS" in text
    assert "Năm ngân sách 2026" in text and "Dự toán cả năm 1.200.000.000" in text
    assert f"Số: TC-{CODE}" in text and "300.000.000" in text and "ngày 05 tháng 01 năm 2026" in text


def test_a_form_of_rows_and_totals_prints_as_a_table_without_code_of_its_own():
    form = {"period": "2026-Q1", "rows": [{"economic_code": "6001", "estimate": 100, "used": 40},
                                           {"economic_code": "6051", "estimate": 50, "used": 50}],
            "totals": {"estimate": 150, "used": 90}}
    page = printable.table(form)
    # period; the rows' line, their head and 2 rows; the totals' line and its 2 lines
    assert page.count("<tr>") == 1 + (1 + 1 + 2) + (1 + 2)
    assert "<th>Mã NDKT</th>" in page and '<td class="num">100</td>' in page


def test_every_value_a_user_gave_is_escaped_and_no_script_reaches_the_page():
    view = refused(reason=HOSTILE) | {"unit_name": HOSTILE, "voucher_number": HOSTILE}
    for kind in ("receipt_notice", "refusal_notice"):
        page = render(kind, view)
        assert "<script" not in page and "<img" not in page
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;img" in page
    form = printable.table({"note": HOSTILE, "rows": [{"content": HOSTILE}]})
    assert "<script" not in form and "<img" not in form


def test_the_page_is_a4_vietnamese_with_the_treasurys_header_and_the_code_as_an_inline_svg_qr():
    page = render("debit_advice", paid())
    assert page.startswith("<!doctype html>") and '<html lang="vi">' in page
    assert "@page { size: A4;" in page
    assert "KHO BẠC NHÀ NƯỚC" in page and "Kho bạc Nhà nước Khu vực I" in page
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in page
    svg = re.search(r"<svg[^>]*>.*?</svg>", page, re.S)
    assert svg is not None and "<path" in svg.group(0) and f"Mã số hồ sơ {CODE}" in svg.group(0)
    assert page.count(f'data-dossier-code="{CODE}"') == 1


def test_the_qr_code_encodes_the_dossier_code_itself():
    import segno
    expected = segno.make(CODE, error="m").svg_inline(scale=4, border=2, omitsize=True,
                                                       title=f"Mã số hồ sơ {CODE}")
    assert printable.qr_svg(CODE) == expected
    assert printable.qr_svg(CODE[:-1] + "4") != expected


def test_which_dossiers_have_which_documents():
    assert [d["kind"] for d in printable.available(a_view())] == ["receipt_notice"]
    assert [d["kind"] for d in printable.available(paid())] == ["receipt_notice", "debit_advice"]
    assert [d["kind"] for d in printable.available(refused())] == ["receipt_notice", "refusal_notice"]
    credited = a_view(status=catalogue.RECORDED, result={"credit_advice": {"number": "GBC-1"}})
    assert [d["title"] for d in printable.available(credited)][1] == "Giấy báo Có"


def test_every_kind_renders_with_every_placeholder_filled():
    views = {"receipt_notice": a_view(), "debit_advice": paid(), "refusal_notice": refused(),
             "credit_advice": a_view(result={"credit_advice": {"number": "GBC-1", "amount": 5}}),
             "posting_note": a_view(result={"posting_note": {"number": "PHT-1"}}),
             "confirmed_form": a_view(result={"confirmed_form": budget_forms.confirmed_form(
                 "09", {"number": "DC-1"}, confirmation={"number": "PHT-1"})})}
    # the reconciliation and closing kinds: tests/unit/test_printable_forms.py renders them
    form_kinds = {"reconciliation_form", "reconciliation_mismatch", "closing_form"}
    assert set(views) | form_kinds == set(printable.KINDS)
    for kind, view in views.items():
        page = render(kind, view)
        assert "$" not in text_of(page), kind
        assert page.count("<h1>") == 1 and CODE in page


def test_a_cold_import_of_the_app_and_the_renderer_does_not_load_segno():
    probe = "import sys, app, chalicelib.domain.printable; print('segno' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert out.stdout.strip() == "False"
