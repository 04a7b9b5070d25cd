"""The whole cycle in the browser, each person in their own Chromium context: a unit submits a
dossier through the form (an attachment uploaded to S3, signed by the signing tool's local
helper), the officer asks for a supplement, the unit answers (signed elsewhere and uploaded as
a signed file), the officer accepts, the leader approves, and the unit sees it paid."""
from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest

import signtool
from devstack.demo import ACCOUNT
from devstack.seed import SIGNING_TITLES, signer
from tests.e2e.conftest import SCREENSHOTS

pytestmark = pytest.mark.e2e
UNIT = "1012345"


def until(page, selector: str, *, refresh: bool = True, timeout: float = 120):
    """Wait for `selector`, pressing the page's Refresh between looks (the workflow runs on)."""
    deadline = time.monotonic() + timeout
    while True:
        if page.locator(selector).count():
            return page.locator(selector).first
        if time.monotonic() > deadline or (refresh and not page.locator('[data-action="refresh"]').count()):
            page.screenshot(path=str(SCREENSHOTS / "failed.png"), full_page=True)
            raise AssertionError(f"{selector} did not appear on {page.url} (see failed.png)")
        if refresh:
            page.locator('[data-action="refresh"]').click()
            page.wait_for_load_state()
        time.sleep(1)


def sign_file(path, pki_dir) -> bytes:
    """The unit signs the downloaded content elsewhere, with signtool, both titles."""
    submission = json.loads(path.read_text(encoding="utf-8"))
    for title in SIGNING_TITLES:
        name = signer(UNIT, title).username
        submission = signtool.add_signature(submission, (pki_dir / f"{name}.key.pem").read_bytes(),
                                            (pki_dir / f"{name}.cert.pem").read_bytes(), title)
    return json.dumps(submission, ensure_ascii=False).encode("utf-8")


def fill_voucher(page, number: str, amount: int) -> None:
    v = "content.voucher"
    page.fill(f'[data-field="{v}.number"]', number)
    page.fill(f'[data-field="{v}.payer.chapter_code"]', "422")
    page.fill(f'[data-field="{v}.payer.account"]', ACCOUNT)
    page.fill(f'[data-field="{v}.lines[0].content"]', "Mua văn phòng phẩm quý IV")
    page.fill(f'[data-field="{v}.lines[0].economic_code"]', "6551")
    page.fill(f'[data-field="{v}.lines[0].sector_code"]', "072")
    page.fill(f'[data-field="{v}.lines[0].source_code"]', "13")
    page.fill(f'[data-field="{v}.lines[0].amount"]', str(amount))
    page.fill(f'[data-field="{v}.payee.name"]', "Công ty TNHH Văn phòng phẩm Hồng Hà")
    page.fill(f'[data-field="{v}.payee.tax_code"]', "0101234567")
    page.fill(f'[data-field="{v}.payee.account"]', "0011004455667")
    page.fill(f'[data-field="{v}.payee.bank"]', "Vietcombank Hà Nội")


def upload(page, kind: str, name: str, data: bytes) -> None:
    page.select_option('select[name="kind"]', kind)
    page.set_input_files('input[name="file"]', files=[{"name": name, "mimeType": "application/pdf",
                                                       "buffer": data}])
    page.click('[data-action="upload"]')
    page.wait_for_selector(f'li[data-file="{name}"][data-done="true"]')


def decide(page, dossier_id: str, inbox_nav: str, decision: str, screens, shot: str,
           reason: str | None = None) -> None:
    page.get_by_role("link", name=inbox_nav).click()
    row = until(page, f'tr[data-dossier="{dossier_id}"]')
    screens.save(page, f"{shot}-inbox")
    row.get_by_role("link").click()
    until(page, f'button[data-decision="{decision}"]')
    if reason:
        page.fill('textarea[name="reason"]', reason)
    screens.save(page, f"{shot}-dossier")
    page.click(f'button[data-decision="{decision}"]')
    page.wait_for_selector("[data-no-task]")


def flow_content(api, tokens, dossier_id: str) -> dict:
    status, body = api.call("GET", f"/v1/dossiers/{dossier_id}", token=tokens["ketoan.cva"])
    assert status == 200, body
    return body["content"]


def test_a_dossier_goes_from_the_units_form_to_paid_through_every_screen(
        person, screens, signing_helper, pki_dir, api, tokens):
    number = f"WEB-{uuid.uuid4().hex[:6].upper()}"
    unit = person("ketoan.cva")
    unit.get_by_role("link", name="Lập hồ sơ").first.click()
    unit.wait_for_selector('[data-field="content.voucher.number"]')
    fill_voucher(unit, number, 1_500_000)
    assert unit.input_value('[data-field="content.voucher.total"]') == "1500000"
    upload(unit, "payee_list", f"bang-ke-{number}.pdf", b"%PDF-1.4 bang ke " + number.encode())
    assert unit.locator(f'li[data-file="bang-ke-{number}.pdf"] progress').evaluate("p => p.value") == 1
    unit.fill('input[name="signtool"]', signing_helper.url)
    unit.click('[data-action="sign"]')
    unit.wait_for_selector('li[data-title="account_holder"][data-signed="true"]')
    assert unit.locator('li[data-title="chief_accountant"][data-signed="true"]').count() == 1
    screens.save(unit, "unit-submit-signed")
    unit.click('[data-action="send"]')
    unit.wait_for_selector('[data-view="unit-dossier"][data-status="under_review"]')
    dossier_id = unit.url.rsplit("/", 1)[1]
    screens.save(unit, "unit-dossier-submitted")

    officer = person("kiemsoat.kv1")
    decide(officer, dossier_id, "Hồ sơ cần xử lý", "request_supplement", screens, "officer-review",
           reason="Thiếu biên bản nghiệm thu")
    assert officer.locator('tr[data-check="lines_sum_to_total"][data-passed="true"]').count() == 1
    assert officer.locator('tr[data-valid="true"]').count() == 2

    until(unit, '[data-view="unit-dossier"][data-status="awaiting_supplement"] form.supplement')
    assert unit.locator('[data-reason="Thiếu biên bản nghiệm thu"]').count() == 1
    # The form comes back filled with what was sent; the unit corrects a line and adds the file.
    line = '[data-field="content.voucher.lines[0].content"]'
    assert unit.input_value(line) == "Mua văn phòng phẩm quý IV"
    assert unit.input_value('[data-field="content.voucher.total"]') == "1500000"
    unit.fill(line, "Mua văn phòng phẩm quý IV (kèm biên bản nghiệm thu)")
    upload(unit, "acceptance_record", f"nghiem-thu-{number}.pdf", b"%PDF-1.4 nghiem thu")
    with unit.expect_download() as download:
        unit.click('[data-action="unsigned"]')
    signed = sign_file(download.value.path(), pki_dir)
    unit.set_input_files('input[name="signed-file"]', files=[{
        "name": "ho-so-da-ky.json", "mimeType": "application/json", "buffer": signed}])
    unit.wait_for_selector('li[data-title="account_holder"][data-signed="true"]')
    screens.save(unit, "unit-supplement")
    unit.click('[data-action="send-supplement"]')
    unit.wait_for_selector('[data-view="unit-dossier"][data-status="under_review"]')

    decide(officer, dossier_id, "Hồ sơ cần xử lý", "accept", screens, "officer-accept")
    leader = person("lanhdao.kv1")
    decide(leader, dossier_id, "Phê duyệt", "approve", screens, "leader-approve")

    until(unit, '[data-view="unit-dossier"][data-status="paid"]')
    badge = unit.locator('.result [data-status="paid"]')
    assert badge.inner_text() == "Đã thanh toán"
    assert unit.locator("[data-advice]").get_attribute("data-advice").startswith("GBN-")
    assert unit.locator('li[data-action="resubmitted"]').count() == 1
    assert unit.locator('[data-chain="true"]').count() == 1
    # documents are named by their component in the procedure, not by its code
    assert "Biên bản nghiệm thu" in unit.locator('[data-kind="acceptance_record"]').inner_text()
    assert flow_content(api, tokens, dossier_id)["voucher"]["lines"][0]["content"] == \
        "Mua văn phòng phẩm quý IV (kèm biên bản nghiệm thu)"
    screens.save(unit, "unit-paid")
    # The debit advice to print and keep: the API's page, saved as a file the unit opens and prints.
    assert [e.get_attribute("data-printable") for e in unit.locator("li[data-printable]").all()] \
        == ["receipt_notice", "debit_advice"]
    with unit.expect_download() as saved:
        unit.get_by_role("button", name="In / Tải về").nth(1).click()
    assert saved.value.suggested_filename == f"{dossier_id}-debit_advice.html"
    kept = Path(saved.value.path()).read_text(encoding="utf-8")
    assert "Giấy báo Nợ" in kept and "<svg" in kept
    advice = unit.context.new_page()
    advice.set_content(kept)
    assert advice.locator(f'[data-dossier-code="{dossier_id}"]').count() == 1
    screens.save(advice, "unit-debit-advice-printable")
    advice.close()
    unit.get_by_role("link", name="Hồ sơ của đơn vị").click()
    until(unit, f'tr[data-dossier="{dossier_id}"][data-status="paid"]')
    screens.save(unit, "unit-dossiers-paid")

    names = [p.name for p in screens.taken]
    for expected in ("unit-submit-signed", "officer-review-dossier", "unit-supplement",
                     "leader-approve-inbox", "unit-paid"):
        assert any(expected in n for n in names), (expected, names)
    assert all(p.stat().st_size > 0 for p in screens.taken)
