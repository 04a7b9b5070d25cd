"""The split voucher in the browser (split-form.js): the unit ticks "kiêm nộp NSNN" on the voucher
form (Mẫu 14 / 18), fills the budget block, is told next to the payee's amount when the parts do
not make the total, corrects it, signs again and sends; the dossier holds both parts, and once
paid its debit advice shows them."""
from __future__ import annotations

import uuid

import pytest

from tests.e2e.test_console_cycle import fill_voucher, flow_content, until
from tests.integration.flow import Flow

pytestmark = pytest.mark.e2e
V = "content.voucher"


def test_art4_cl4_pt_h_the_unit_sends_a_split_voucher_from_the_form(
        person, screens, signing_helper, api, tokens, pki_dir):
    number = f"WEB-SPLIT-{uuid.uuid4().hex[:6].upper()}"
    unit = person("ketoan.cva")
    unit.get_by_role("link", name="Lập hồ sơ").first.click()
    unit.wait_for_selector(f'[data-field="{V}.number"]')
    fill_voucher(unit, number, 11_000_000)
    assert unit.locator(f'[data-field="{V}.budget_payment.tax_code"]').is_hidden()
    unit.get_by_label("Chứng từ kiêm nộp NSNN (Mẫu 14/18)").check()
    for field, value in (("taxpayer_name", "Công ty TNHH Văn phòng phẩm Hồng Hà"),
                         ("tax_code", "0101234567"), ("economic_code", "1701"),
                         ("chapter_code", "754"), ("area_code", "01"),
                         ("revenue_account", "7111"), ("collecting_agency", "Thuế thành phố Hà Nội"),
                         ("treasury", "KBNN Khu vực I"), ("amount", "1000000")):
        unit.fill(f'[data-field="{V}.budget_payment.{field}"]', value)
    unit.fill(f'[data-field="{V}.payee.amount"]', "9000000")        # 1,000,000 short
    unit.fill('input[name="signtool"]', signing_helper.url)
    unit.click('[data-action="sign"]')
    unit.wait_for_selector('li[data-title="account_holder"][data-signed="true"]')
    unit.click('[data-action="send"]')
    error = unit.wait_for_selector('.field-error[data-code="split_mismatch"]')
    assert "11.000.000" in error.inner_text()
    assert unit.get_attribute(f'[data-field="{V}.payee.amount"]', "aria-invalid") == "true"
    screens.save(unit, "unit-split-mismatch")

    unit.fill(f'[data-field="{V}.payee.amount"]', "10000000")
    unit.click('[data-action="sign"]')
    unit.wait_for_selector('li[data-title="account_holder"][data-signed="true"]')
    unit.click('[data-action="send"]')
    unit.wait_for_selector('[data-view="unit-dossier"][data-status="under_review"]')
    dossier_id = unit.url.rsplit("/", 1)[1]
    voucher = flow_content(api, tokens, dossier_id)["voucher"]
    assert (voucher["budget_payment"]["amount"], voucher["payee"]["amount"], voucher["total"]) == \
        (1_000_000, 10_000_000, 11_000_000)
    assert voucher["budget_payment"]["revenue_account"] == "7111"
    screens.save(unit, "unit-split-sent")

    # Paid (decided over the API: the deciding screens are the cycle test's), the unit's debit
    # advice shows both parts of the one debit.
    flow = Flow(api, tokens, pki_dir)
    flow.decide(flow.officer, dossier_id, "accept")
    flow.decide(flow.leader, dossier_id, "approve")
    until(unit, '[data-view="unit-dossier"][data-status="paid"]')
    assert unit.locator('[data-part="budget"]').inner_text().startswith("1.000.000")
    assert "7111" in unit.locator('[data-part="budget"]').inner_text()
    assert unit.locator('[data-part="payee"]').inner_text().startswith("10.000.000")
    screens.save(unit, "unit-split-paid")
