"""The advance register from the treasury's side (views/office-advances.js; 347/2025 Art.6 cl.2
pt.e): a control officer picks a unit of their office and sees what is left of its advances; an
officer of another office is refused that unit."""
from __future__ import annotations

import uuid

import pytest

from devstack.demo import sample_content
from tests.e2e.test_console_advances import pay

pytestmark = pytest.mark.e2e


def test_art6_cl2_pt_e_an_officer_reads_the_advance_register_of_a_unit_of_their_office(
        person, flow, screens):
    tag = f"TU-{uuid.uuid4().hex[:6]}"
    advance = pay(flow, sample_content(tag, 2_000_000, payment_kind="advance", contract={
        "number": f"HĐ-{tag}", "date": "2026-02-01", "value": 8_000_000,
        "advance_rate_percent": 30}), "paid")
    officer = person("kiemsoat.kv1")
    officer.get_by_role("link", name="Tạm ứng").click()
    officer.wait_for_selector('[data-view="office-advances"]')
    officer.fill('[data-field="unit"]', "1012345")
    officer.click('[data-action="show-advances"]')
    row = officer.locator(f'tr[data-advance="{advance["dossier_id"]}"]')
    row.wait_for()
    assert row.get_attribute("data-left") == "2000000"
    assert row.locator("a").get_attribute("href") == f'#/office/dossiers/{advance["dossier_id"]}'
    assert officer.get_attribute('[data-view="office-advances"]', "data-unit") == "1012345"
    screens.save(officer, "office-advances")

    other = person("kiemsoat.kv2")                  # KV2 does not hold unit 1012345
    other.get_by_role("link", name="Tạm ứng").click()
    other.fill('[data-field="unit"]', "1012345")
    other.click('[data-action="show-advances"]')
    view = '[data-view="office-advances"]'
    other.wait_for_selector(f"{view} .alert, {view} .field-error")
    assert other.locator("table.advances").count() == 0
