"""A payroll from the browser (payroll-form.js): the accountant imports the payee list the
accounting software exported, sees every failing line at once (line, field, message), fixes the
file, imports it again, signs the voucher and its list once and sends; the dossier then shows
each line's status, pending until paid, credited after (347/2025 Art.6 cl.2 pt.b, Mẫu 20)."""
from __future__ import annotations

import io
import uuid

import pytest

from tests.e2e.test_console_cycle import fill_voucher, flow_content, until
from tests.integration.flow import Flow

pytestmark = pytest.mark.e2e
V = "content.voucher"
HEADER = "STT,Họ và tên,Số tài khoản,Tên ngân hàng,Mã ngân hàng,Số tiền (đồng),Nhóm"
GOOD = ['1,Nguyễn Văn An,1020000001,VietinBank Hà Nội,01201001,"6.000.000",Công chức',
        '2,Trần Thị Bình,1020000002,VietinBank Hà Nội,01201001,"6.500.000",Viên chức',
        '3,Lê Văn Cường,1020000003,Vietcombank Hà Nội,01203001,"5.500.000",Lao động hợp đồng']
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def choose(page, name: str, data: bytes, mime: str) -> None:
    page.set_input_files('input[name="payee_file"]', files=[{"name": name, "mimeType": mime, "buffer": data}])
    page.click('[data-action="import-payees"]')


def test_art6_cl2_pt_b_the_accountant_imports_a_payroll_sees_every_bad_line_fixes_it_and_sends(
        person, screens, signing_helper, api, tokens, pki_dir):
    number = f"WEB-LUONG-{uuid.uuid4().hex[:6].upper()}"
    unit = person("ketoan.cva")
    unit.get_by_role("link", name="Lập hồ sơ").first.click()
    unit.wait_for_selector('[data-block="payee_list"]')
    fill_voucher(unit, number, 1)
    bad = [GOOD[0], GOOD[1].replace("1020000002", "10200-AB"), GOOD[2].replace('"5.500.000"', "năm triệu")]
    choose(unit, "bang-luong-loi.csv", "\n".join([HEADER, *bad]).encode("utf-8"), "text/csv")
    unit.wait_for_selector('[data-payees="errors"]')
    rows = unit.locator("table.payee-errors tbody tr")
    assert rows.count() == 2                                            # both lines, at once
    assert rows.nth(0).get_attribute("data-field") == "content.payee_list.lines[1].account"
    assert rows.nth(1).get_attribute("data-field") == "content.payee_list.lines[2].amount"
    assert rows.nth(0).inner_text().split("\t")[:3] == ["2", "3", "Số tài khoản"]
    screens.save(unit, "unit-payroll-errors")

    choose(unit, "bang-luong.csv", "\n".join([HEADER, *GOOD]).encode("utf-8"), "text/csv")
    unit.wait_for_selector('[data-payees="ready"]')
    assert unit.get_attribute('[data-payees="ready"] dl', "data-count") == "3"
    assert unit.input_value(f'[data-field="{V}.total"]') == "18000000"   # the list's total
    assert unit.locator('[data-group="public_employee"]').inner_text().startswith("6.500.000")
    unit.fill('input[name="signtool"]', signing_helper.url)
    unit.click('[data-action="sign"]')
    unit.wait_for_selector('li[data-title="account_holder"][data-signed="true"]')
    screens.save(unit, "unit-payroll-ready")
    unit.click('[data-action="send"]')
    unit.wait_for_selector('[data-view="unit-dossier"][data-status="under_review"]')
    dossier_id = unit.url.rsplit("/", 1)[1]
    stored = flow_content(api, tokens, dossier_id)["payee_list"]["stored"]
    assert (stored["count"], stored["total"]) == (3, 18_000_000)
    assert unit.locator('[data-section="payee-lines"] tr[data-status="pending"]').count() == 3

    flow = Flow(api, tokens, pki_dir)
    flow.decide(flow.officer, dossier_id, "accept")
    flow.decide(flow.leader, dossier_id, "approve")
    until(unit, '[data-view="unit-dossier"][data-status="paid"]')
    lines = unit.locator('[data-section="payee-lines"] tbody tr')
    assert [lines.nth(i).get_attribute("data-status") for i in range(3)] == ["credited"] * 3
    assert "Trần Thị Bình" in lines.nth(1).inner_text()
    screens.save(unit, "unit-payroll-paid")


def test_an_xlsx_payroll_with_form_20_group_headings_is_summarised_per_group(person, screens):
    import openpyxl
    book = openpyxl.Workbook()
    sheet = book.active
    for row in (["DANH SÁCH THANH TOÁN CHO ĐỐI TƯỢNG THỤ HƯỞNG"], [],
                ["STT", "Họ và tên", "Số tài khoản", "Tên ngân hàng", "Mã ngân hàng", "Số tiền"],
                [None, "I. Công chức"],
                [1, "Phạm Thu Hà", "1020000011", "BIDV Hà Nội", "01202001", 7_000_000],
                [None, "II. Viên chức"], [2, "Vũ Minh Khoa", 1020000012, "BIDV Hà Nội", 1202001, 8_000_000],
                [None, "Tổng cộng", None, None, None, 15_000_000]):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    unit = person("ketoan.cva")
    unit.get_by_role("link", name="Lập hồ sơ").first.click()
    unit.wait_for_selector('[data-block="payee_list"]')
    choose(unit, "bang-luong-thang-12.xlsx", buffer.getvalue(), XLSX)
    unit.wait_for_selector('[data-payees="ready"]')
    assert unit.get_attribute('[data-payees="ready"] dl', "data-total") == "15000000"
    assert unit.locator('[data-group="civil_servant"]').inner_text().startswith("7.000.000")
    assert unit.locator('[data-group="public_employee"]').inner_text().startswith("8.000.000")
    assert unit.input_value(f'[data-field="{V}.total"]') == "15000000"
    screens.save(unit, "unit-payroll-xlsx")
