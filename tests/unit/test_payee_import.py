"""Importing the payee list a unit's accounting software exported (CSV or .xlsx) into a
payroll's lines: lenient headers, Mẫu 20's layout (group headings, subtotals), numbers as text,
and every failing line reported at once, each naming its line and field (347/2025 Art.6 cl.2
pt.b)."""
from __future__ import annotations

import io

import pytest

from chalicelib.adapters.identity import Principal
from chalicelib.domain.errors import DomainError, Forbidden
from chalicelib.domain.payee_import import lines_from_rows, normalise
from chalicelib.domain.payee_list import MAX_PAYEE_LINES, line_errors
from chalicelib.services import payee_import

pytestmark = pytest.mark.unit

HEADER = ["STT", "Họ và tên", "Số tài khoản", "Tên ngân hàng", "Mã ngân hàng", "Số tiền (đồng)"]
ACCOUNTANT = Principal(sub="u", username="ketoan.cva", roles=frozenset({"unit_accountant"}),
                       unit_id="1012345", office_id=None)


def good(i: int) -> list:
    return [i, f"Nguyễn Văn {i}", f"10200000{i:02d}", "VietinBank - CN Hà Nội", "01201001", "6.000.000"]


def test_headers_match_without_case_diacritics_or_a_parenthesised_unit():
    assert normalise("SỐ TIỀN (đồng)") == "so tien"
    assert normalise("Đối tượng thụ hưởng") == "doi tuong thu huong"
    rows = [["ho va ten", "SO TAI KHOAN", "ngân hàng", "Mã NH", "Thành tiền"],
            ["Lê Thị Hoa", "1020000001", "BIDV", "01202001", 5_000_000]]
    answer = lines_from_rows(rows)
    assert answer["lines"] == [{"name": "Lê Thị Hoa", "account": "1020000001", "bank_name": "BIDV",
                                "bank_code": "01202001", "amount": 5_000_000, "group": "other"}]
    assert (answer["errors"], answer["count"], answer["total"]) == ([], 1, 5_000_000)


def test_a_title_block_group_headings_and_subtotals_of_form_20_are_read_as_the_form_lays_them_out():
    rows = [["DANH SÁCH THANH TOÁN CHO ĐỐI TƯỢNG THỤ HƯỞNG"], ["Mẫu số 20"], [], HEADER,
            [None, "I. Công chức"], good(1), good(2), [None, "Cộng", None, None, None, "12.000.000"],
            [None, "II. Viên chức"], good(3), [None, "Tổng cộng", None, None, None, "18.000.000"]]
    answer = lines_from_rows(rows)
    assert [line["group"] for line in answer["lines"]] == \
        ["civil_servant", "civil_servant", "public_employee"]
    assert answer["group_totals"] == {"civil_servant": 12_000_000, "public_employee": 6_000_000}
    assert (answer["count"], answer["total"], answer["errors"]) == (3, 18_000_000, [])


def test_art6_cl2_pt_b_every_failing_line_is_reported_at_once_naming_its_line_and_field():
    bad_account = [2, "Trần Văn B", "12AB", "BIDV", "01202001", "6.000.000"]
    bad_amount = [4, "Lê Văn D", "1020000004", "BIDV", "01202001", "sáu triệu"]
    rows = [HEADER, good(1), bad_account, good(3), bad_amount]
    errors = lines_from_rows(rows)["errors"]
    assert [(e["line"], e["row"], e["field"], e["code"]) for e in errors] == [
        (2, 3, "content.payee_list.lines[1].account", "invalid_format"),
        (4, 5, "content.payee_list.lines[3].amount", "invalid_amount")]
    assert all(e["message"] for e in errors)


def test_line_errors_finds_what_the_submission_parser_finds_first_on_each_line():
    lines = [{"name": "A", "account": "1020000001", "bank_code": "01201001", "bank_name": "B",
              "amount": 1}, "not an object", {"name": "C", "account": "x", "bank_name": "B", "amount": 1}]
    assert [(e.field, e.code) for e in line_errors(lines)] == [
        ("content.payee_list.lines[1]", "invalid_type"),
        ("content.payee_list.lines[2].account", "invalid_format")]


def test_a_bank_code_typed_as_a_number_gets_its_leading_zero_back_and_a_treasury_payee_needs_none():
    rows = [HEADER + ["Nơi mở tài khoản", "Nhóm"],
            [1, "A", 1020000001.0, "Vietcombank", 1203001, 7_000_000, "Ngân hàng", "III"],
            [2, "B", "3713.0000002", "KBNN Khu vực I", None, 7_000_000, "Kho bạc", "Viên chức"]]
    first, second = lines_from_rows(rows)["lines"]
    assert (first["account"], first["bank_code"], first["group"]) == \
        ("1020000001", "01203001", "contract_worker")
    assert second["institution"] == "treasury" and "bank_code" not in second
    assert lines_from_rows(rows)["errors"] == []


@pytest.mark.parametrize("rows, code, field", [
    ([["Tên", "Lương"], ["A", 1]], "no_header_row", "body"),
    ([HEADER, [None, None]], "no_lines", "content.payee_list.lines"),
    ([HEADER] + [good(1)] * (MAX_PAYEE_LINES + 1), "too_many_lines", "content.payee_list.lines"),
])
def test_a_file_without_a_header_without_lines_or_one_line_over_the_maximum_is_refused(rows, code, field):
    with pytest.raises(DomainError) as caught:
        lines_from_rows(rows)
    assert (caught.value.status, caught.value.code, caught.value.field) == (422, code, field)


def test_the_maximum_itself_is_read():
    assert lines_from_rows([HEADER] + [good(1)] * MAX_PAYEE_LINES)["count"] == MAX_PAYEE_LINES


def test_a_csv_with_a_bom_and_semicolons_as_vietnamese_excel_writes_it_is_read():
    text = "\ufeff" + "\n".join(";".join(str(c) for c in row) for row in [HEADER, good(1)])
    answer = payee_import.import_list(ACCOUNTANT, text.encode("utf-8"), "text/csv; charset=utf-8", "20")
    assert (answer["count"], answer["total"], answer["errors"]) == (1, 6_000_000, [])


def test_an_xlsx_built_with_openpyxl_is_read_from_its_first_sheet():
    import openpyxl
    book = openpyxl.Workbook()
    sheet = book.active
    for row in [["Bảng lương tháng 12"], HEADER, good(1), good(2)]:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    answer = payee_import.import_list(ACCOUNTANT, buffer.getvalue(), payee_import.XLSX, None)
    assert (answer["count"], answer["total"]) == (2, 12_000_000)


@pytest.mark.parametrize("body, content_type, status, code", [
    (b"%PDF-1.4", "application/pdf", 415, "unsupported_file_type"),
    (b"PK\x03\x04broken", payee_import.XLSX, 422, "unreadable_file"),
    (b"\xff\xfe\x00bad", "text/csv", 422, "unreadable_file"),
    (b"", "text/csv", 422, "unreadable_file"),
    (b"x" * (payee_import.MAX_IMPORT_BYTES + 1), "text/csv", 413, "payload_too_large"),
])
def test_a_bad_file_is_a_4xx_with_a_stable_code(body, content_type, status, code):
    with pytest.raises(DomainError) as caught:
        payee_import.import_list(ACCOUNTANT, body, content_type, "20")
    assert (caught.value.status, caught.value.code) == (status, code)


def test_only_the_units_own_people_and_software_may_import():
    officer = Principal(sub="o", username="kiemsoat.kv1", roles=frozenset({"control_officer"}),
                        unit_id=None, office_id="KV1")
    with pytest.raises(Forbidden) as caught:
        payee_import.import_list(officer, b"", "text/csv", "20")
    assert caught.value.code == "role_not_allowed"
