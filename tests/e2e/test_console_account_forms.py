"""The account procedures' forms in the browser (account-forms.js): a unit closes an account
through its form, signed by the signing tool's local helper; an account the API does not know is
named next to its input; a reconciliation sent back comes back in its form, filled, to correct;
a change of signature specimens asks for an account to be opened."""
from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.e2e
UNIT = "1012345"


def new_account(balance: int) -> str:
    from chalicelib.adapters.models import Account
    account = f"3713.9.{uuid.uuid4().int % 10**6:06d}"
    Account(f"ACCOUNT#{account}", account_id=account, unit_id=UNIT, kind="deposit",
            balance=balance).save()
    return account


def open_form(page, procedure: str) -> None:
    page.get_by_role("link", name="Lập hồ sơ").first.click()
    page.select_option('select[name="procedure"]', procedure)


def sign_and_send(page, signing_helper, send: str = "send") -> None:
    page.fill('input[name="signtool"]', signing_helper.url)
    page.click('[data-action="sign"]')
    page.wait_for_selector('li[data-title="account_holder"][data-signed="true"]')
    page.click(f'[data-action="{send}"]')


def test_a_unit_closes_an_account_through_its_form_and_sees_the_dossier_under_review(
        person, signing_helper, screens, api, tokens):
    account = new_account(0)
    page = person("ketoan.cva")
    open_form(page, "account_closing")
    page.fill('[data-field="content.closing.account_id"]', account)
    page.press('[data-field="content.closing.account_id"]', "Tab")   # looked up when left
    about = page.locator(f'[data-account="{account}"]')
    about.wait_for()
    assert "Tài khoản tiền gửi" in about.inner_text() and "0 đ" in about.inner_text()
    page.fill('[data-field="content.closing.reason"]', "Kết thúc dự án, không còn sử dụng.")
    screens.save(page, "unit-closing-form")
    sign_and_send(page, signing_helper)
    page.wait_for_selector('[data-view="unit-dossier"][data-status="under_review"]')
    dossier_id = page.url.rsplit("/", 1)[1]
    screens.save(page, "unit-closing-submitted")

    status, body = api.call("GET", f"/v1/dossiers/{dossier_id}", token=tokens["ketoan.cva"])
    assert status == 200, body
    assert body["procedure"] == "account_closing"
    closing = body["content"]["closing"]
    assert (closing["account_id"], closing["reason"]) == (account,
                                                          "Kết thúc dự án, không còn sử dụng.")
    # 347/2025 Art.9 cl.3 pt.d: a deposit account's Mẫu 32, its four lines all zero here
    assert [f["form"] for f in closing["forms"]] == ["32"]
    assert [r["cells"]["amount"] for r in closing["forms"][0]["rows"]] == [0, 0, 0, 0]
    page.get_by_role("link", name="Hồ sơ của đơn vị").click()
    page.wait_for_selector(f'tr[data-dossier="{dossier_id}"][data-status="under_review"]')


def test_an_account_the_api_does_not_know_is_named_next_to_its_input(person, signing_helper, api, tokens,
                                                                    screens):
    _, before = api.call("GET", "/v1/dossiers?limit=200", token=tokens["ketoan.cva"])
    page = person("ketoan.cva")
    open_form(page, "balance_reconciliation")
    field = "content.reconciliation.account_id"
    page.fill(f'[data-field="{field}"]', "9999.9.KHONGCO")
    page.fill('[data-field="content.reconciliation.book_balance"]', "7000000")
    sign_and_send(page, signing_helper)
    error = page.locator(".field-error").first
    error.wait_for()
    assert error.evaluate("e => e.previousElementSibling.dataset.field") == field
    assert error.get_attribute("data-code") == "unknown_account"
    assert error.inner_text() == "Tài khoản không tồn tại hoặc không thuộc đơn vị."
    assert page.locator(f'[data-field="{field}"][aria-invalid="true"]').count() == 1
    screens.save(page, "unit-reconciliation-field-error")
    _, after = api.call("GET", "/v1/dossiers?limit=200", token=tokens["ketoan.cva"])
    assert len(after["items"]) == len(before["items"])


def test_a_unit_asks_to_open_an_account_through_the_specimens_form(person, signing_helper, api, tokens,
                                                                   screens):
    account = f"3713.9.{uuid.uuid4().int % 10**6:06d}"
    page = person("ketoan.cva")
    open_form(page, "signature_specimens")
    page.get_by_label("Số tài khoản 1").fill(account)
    page.get_by_label("Loại tài khoản 1").select_option("estimate")
    page.locator('legend:text("Thu hồi chứng thư")').wait_for()   # the unit's certificates listed
    assert page.locator('input[name="revoke"]').count() >= 1
    assert page.locator('li[data-title="chief_accountant"]').count() == 0   # the holder alone signs
    screens.save(page, "unit-specimens-form")
    sign_and_send(page, signing_helper)
    page.wait_for_selector('[data-view="unit-dossier"][data-status="under_review"]')
    dossier_id = page.url.rsplit("/", 1)[1]
    _, body = api.call("GET", f"/v1/dossiers/{dossier_id}", token=tokens["ketoan.cva"])
    assert body["content"]["specimens"] == {
        "open_accounts": [{"account_id": account, "kind": "estimate"}], "approve": [], "revoke": []}


def test_a_reconciliation_sent_back_comes_back_filled_in_its_form_to_correct(
        person, signing_helper, flow, pki_dir, api, screens):
    from devstack.samples import reconciliation
    account = new_account(7_000_000)
    status, sent = api.call("POST", "/v1/dossiers", reconciliation(pki_dir, account, 6_000_000),
                            token=flow.unit)
    assert status == 201, sent
    dossier_id = sent["dossier_id"]
    assert flow.decide(flow.officer, dossier_id, "request_supplement",
                       reason="Số dư cuối kỳ chưa đúng sổ")[0] == 200
    flow.reaches(dossier_id, "awaiting_supplement")

    page = person("ketoan.cva")
    page.goto(page.url.split("#")[0] + f"#/unit/dossiers/{dossier_id}")
    page.wait_for_selector("form.supplement")
    f = "content.reconciliation"
    assert page.input_value(f'[data-field="{f}.account_id"]') == account
    assert page.input_value(f'[data-field="{f}.period.from"]') == "2026-10-01"
    assert page.input_value(f'[data-field="{f}.period.to"]') == "2026-10-31"
    assert page.input_value(f'[data-field="{f}.book_balance"]') == "6000000"
    page.fill(f'[data-field="{f}.book_balance"]', "7.000.000")   # written the Vietnamese way
    screens.save(page, "unit-reconciliation-supplement")
    sign_and_send(page, signing_helper, send="send-supplement")
    page.wait_for_selector('[data-view="unit-dossier"][data-status="under_review"]')
    assert flow.dossier(dossier_id)["content"]["reconciliation"] == {
        "account_id": account, "period": {"from": "2026-10-01", "to": "2026-10-31"},
        "book_balance": 7_000_000}
