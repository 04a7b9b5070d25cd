"""The console's shell in Chromium: it loads from the app, signs people in, and sends each role
to its own screens."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def test_a_unit_accountant_signs_in_and_lands_on_the_units_dossiers(person, screens):
    page = person(None)
    assert page.locator("html").get_attribute("lang") == "vi"
    screens.save(page, "sign-in")
    page.get_by_label("Tên đăng nhập").fill("ketoan.cva")
    page.get_by_label("Mật khẩu").fill("Demo-only-2026")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_selector('[data-view="unit-dossiers"]')
    assert page.evaluate("sessionStorage.getItem('kbnn.token')")
    assert "ketoan.cva" in page.locator("#who").inner_text()
    shot = screens.save(page, "unit-dossiers")
    assert shot.stat().st_size > 0


def test_a_wrong_password_is_shown_next_to_the_form_and_nothing_is_stored(person):
    page = person(None)
    page.get_by_label("Tên đăng nhập").fill("ketoan.cva")
    page.get_by_label("Mật khẩu").fill("not-the-password")
    page.get_by_role("button", name="Đăng nhập").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert alert.inner_text().strip()
    assert page.evaluate("sessionStorage.getItem('kbnn.token')") is None
