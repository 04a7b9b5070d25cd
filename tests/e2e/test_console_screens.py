"""The rest of the console in Chromium: the English toggle, keyboard use, the unit's risk alerts
and reconciliation statements, and clear empty and error states."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from devstack.demo import sample_content
from tests.conftest import eventually, next_working_day_at
from tests.e2e.test_console_cycle import sign_file

pytestmark = pytest.mark.e2e


def test_english_is_one_click_away_and_remembered_across_reloads(person, screens):
    page = person("ketoan.cva")
    assert page.get_by_role("link", name="Hồ sơ của đơn vị").count() == 1
    page.click("#lang")
    page.get_by_role("link", name="Our dossiers").wait_for()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.evaluate("localStorage.getItem('kbnn.lang')") == "en"
    page.reload()
    page.get_by_role("heading", name="Our dossiers").wait_for()
    screens.save(page, "unit-dossiers-english")
    # the catalogue names steps in Vietnamese only: the console has their English names
    assert page.evaluate("""async () => (await import('./i18n.js'))
        .stepLabel('approval', 'Lãnh đạo phê duyệt')""") == "Leader's approval"
    page.click("#lang")
    page.get_by_role("link", name="Hồ sơ của đơn vị").wait_for()
    assert page.evaluate("localStorage.getItem('kbnn.lang')") == "vi"


def test_every_string_has_its_english_twin(person):
    page = person(None)
    missing = page.evaluate("""async () => {
        const m = await import('./i18n.js');
        return m.KEYS.filter((k) => !m.ENGLISH_KEYS.includes(k))
          .concat(m.ENGLISH_KEYS.filter((k) => !m.KEYS.includes(k)));
    }""")
    assert missing == []


def test_the_console_is_usable_from_the_keyboard_alone(person):
    page = person(None)
    assert page.evaluate("document.activeElement.name") == "username"   # ready to type
    page.keyboard.press("Shift+Tab")   # back up: the language toggle, then the skip link
    assert page.evaluate("document.activeElement.id") == "lang"
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.get_by_label("Tên đăng nhập").focus()
    page.keyboard.type("kiemsoat.kv1")
    page.keyboard.press("Tab")
    page.keyboard.type("Demo-only-2026")
    page.keyboard.press("Enter")
    page.wait_for_selector('[data-view="officer-inbox"]')
    page.locator("main h1:focus").wait_for()   # focus follows to the new screen's title
    page.focus('#nav a[href="#/leader/dashboard"]')
    page.keyboard.press("Enter")
    page.wait_for_selector('[data-view="leader-dashboard"]')
    page.locator("main h1:focus").wait_for()
    for _ in range(12):   # through the filters (a date field takes a Tab per part) to the button
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.dataset.action") == "apply":
            break
    focused = page.evaluate("""() => { const e = document.activeElement;
        return [e.dataset.action, getComputedStyle(e).outlineStyle, getComputedStyle(e).outlineWidth]; }""")
    assert focused == ["apply", "solid", "3px"]   # a visible focus ring


def test_sending_an_unsigned_dossier_says_why_and_sends_nothing(person, api, tokens):
    page = person("ketoan.cva")
    _, before = api.call("GET", "/v1/dossiers?limit=200", token=tokens["ketoan.cva"])
    page.get_by_role("link", name="Lập hồ sơ").first.click()
    page.click('[data-action="send"]')
    alert = page.get_by_role("alert").first
    alert.wait_for()
    assert alert.inner_text() == "Hồ sơ cần đủ chữ ký trước khi gửi."
    _, after = api.call("GET", "/v1/dossiers?limit=200", token=tokens["ketoan.cva"])
    assert len(after["items"]) == len(before["items"])


def test_a_dossier_the_api_refuses_shows_the_message_next_to_its_field(person, stack, pki_dir):
    page = person("ketoan.cva")
    page.get_by_role("link", name="Lập hồ sơ").first.click()
    v = "content.voucher"
    page.fill(f'[data-field="{v}.number"]', "WEB-BAD")
    page.fill(f'[data-field="{v}.payer.chapter_code"]', "42")   # 3 digits expected
    with page.expect_download() as download:
        page.click('[data-action="unsigned"]')
    page.set_input_files('input[name="signed-file"]', files=[{
        "name": "signed.json", "mimeType": "application/json",
        "buffer": sign_file(download.value.path(), pki_dir)}])
    page.wait_for_selector('li[data-title="account_holder"][data-signed="true"]')
    page.click('[data-action="send"]')
    error = page.locator(".field-error").first
    error.wait_for()
    field = error.evaluate("e => e.previousElementSibling.dataset.field")
    assert field.startswith("content.voucher")
    assert error.inner_text().strip()


def test_the_unit_sees_the_risk_alert_of_a_payment_to_a_new_payee(person, flow, api, tokens, screens,
                                                                   travel):
    travel(next_working_day_at(10))    # within working hours: the new payee is the only rule firing
    payee = f"99{uuid.uuid4().int % 10**10:010d}"
    content = sample_content(f"ALERT-{payee[-4:]}")
    content["voucher"]["payee"]["account"] = payee
    status, body = api.call("POST", "/v1/dossiers", flow.signed(content), token=flow.unit)
    assert status == 201, body

    def flagged():
        _, alerts = api.call("GET", f"/v1/alerts?dossier_id={body['dossier_id']}", token=flow.unit)
        found = {a["rule"]: a for a in alerts["items"]}
        return "new_payee" in found and found
    rules = eventually(flagged, timeout=90, interval=0.5)
    assert "outside_working_hours" not in rules
    page = person("ketoan.cva")
    page.get_by_role("link", name="Cảnh báo rủi ro").click()
    row = page.locator(f'tr[data-alert="{rules["new_payee"]["alert_id"]}"]')
    row.wait_for()
    assert payee in row.inner_text()
    screens.save(page, "unit-alerts")


def test_the_unit_confirms_a_reconciliation_statement_signed_by_its_two_signers(
        person, stack, pki_dir, screens, api, tokens):
    from chalicelib import composition
    from chalicelib.adapters.models import Account
    from chalicelib.services import statements
    account = f"3713.9.{uuid.uuid4().int % 10**6:06d}"
    Account(f"ACCOUNT#{account}", account_id=account, unit_id="1012345", kind="deposit",
            balance=7_000_000).save()
    statements.generate_due(datetime(2025, 7, 2, tzinfo=UTC), store=composition.services().statements,
                            periods=["2025-06"])
    status, listed = api.call("GET", "/v1/statements?period=2025-06", token=tokens["ketoan.cva"])
    assert status == 200, listed
    (mine,) = [s for s in listed["items"] if s["account_id"] == account]

    from devstack.signing import demo_signing_helper
    helper = demo_signing_helper(pki_dir, [stack.api_url], log=lambda line: None)
    try:
        page = person("ketoan.cva")
        page.get_by_role("link", name="Đối chiếu số dư").click()
        card = page.locator(f'section[data-statement="{mine["statement_id"]}"]')
        card.wait_for()
        assert card.get_attribute("data-status") == "issued"
        card.locator('input[name="signtool"]').fill(helper.url)
        card.locator('[data-action="sign"]').click()
        card.locator('li[data-title="account_holder"][data-signed="true"]').wait_for()
        screens.save(page, "unit-statement")
        card.locator('[data-action="reply"]').click()
        page.locator(f'section[data-statement="{mine["statement_id"]}"][data-status="confirmed"]').wait_for()
    finally:
        helper.stop()
    _, after = api.call("GET", f"/v1/statements/{mine['statement_id']}", token=tokens["ketoan.cva"])
    assert after["status"] == "confirmed" and after["reply"]["answer"] == "matches"


def test_an_empty_inbox_says_so(person):
    page = person("kiemsoat.cg")
    page.wait_for_selector('[data-view="officer-inbox"]')
    page.locator(".empty, table.tasks").first.wait_for()
    if page.locator("table.tasks").count() == 0:
        assert page.locator(".empty").inner_text() == "Không có hồ sơ nào đang chờ."


def test_a_late_dossier_is_marked_in_the_leaders_lists_until_a_delay_reason_is_recorded(
        person, stack, flow, api, tokens, screens):
    from tests.integration.test_overdue import make_late
    d = flow.submit(f"LATE-{uuid.uuid4().hex[:6].upper()}")
    make_late(stack, d["dossier_id"])
    assert flow.decide(flow.officer, d["dossier_id"], "accept")[0] == 200
    eventually(lambda: d["dossier_id"] in [i["dossier_id"] for i in api.call(
        "GET", "/v1/reports/overdue", token=flow.leader)[1]["items"]], timeout=90, interval=0.5)

    page = person("lanhdao.kv1")
    row = page.locator(f'tr[data-dossier="{d["dossier_id"]}"]')
    row.wait_for()
    assert row.get_attribute("data-overdue") == "true" and "overdue" in row.get_attribute("class")
    page.get_by_role("link", name="Báo cáo điều hành").click()
    listed = page.locator(f'.overdue-list tr[data-dossier="{d["dossier_id"]}"]')
    listed.wait_for()
    screens.save(page, "leader-dashboard-overdue")
    listed.get_by_role("link").click()
    page.fill('textarea[name="delay-reason"]', "Hệ thống TABMIS gián đoạn ngày 20/11.")
    screens.save(page, "leader-delay-reason")
    page.get_by_role("button", name="Ghi lý do chậm").click()
    page.get_by_text("Đã ghi lý do chậm").wait_for()
    assert page.locator('li[data-action="delay_reason"]').count() == 1
    _, report = api.call("GET", "/v1/reports/overdue", token=tokens["lanhdao.kv1"])
    assert d["dossier_id"] not in [i["dossier_id"] for i in report["items"]]


def test_a_dossier_that_is_not_the_units_shows_the_apis_message_not_a_blank_page(person, flow, unique):
    from chalicelib.services.common import DOSSIER_NOT_FOUND
    other = flow.submit(unique("OTHER"))   # unit 1012345's; the next person is of unit 1023456
    page = person("ketoan.bvdd")
    page.goto(page.url.split("#")[0] + f"#/unit/dossiers/{other['dossier_id']}")
    message = page.locator('[data-view="unit-dossier"] .empty')
    message.wait_for()
    assert message.inner_text() == DOSSIER_NOT_FOUND
