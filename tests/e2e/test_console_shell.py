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


def test_the_first_screen_loads_little_all_from_the_app_and_nothing_else(browser, console_url):
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    try:
        page = context.new_page()
        loaded: list[tuple[str, int]] = []
        page.on("requestfinished", lambda r: loaded.append((r.url, r.sizes()["responseBodySize"])))
        page.goto(console_url)
        page.wait_for_selector('[data-view="sign-in"]')
        page.wait_for_load_state("networkidle")
    finally:
        context.close()
    origin = console_url.rsplit("/console/", 1)[0]
    assert all(url.startswith(f"{origin}/console/") for url, _ in loaded), loaded
    names = {url.rsplit("/console/", 1)[1] for url, _ in loaded}
    assert "views/sign-in.js" in names
    assert not [n for n in names if n.startswith("views/") and n != "views/sign-in.js"], names
    assert sum(size for _, size in loaded) < 50_000, loaded   # no framework to download
