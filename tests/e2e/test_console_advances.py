"""The unit's advance register in the console (347/2025 Art.6 cl.2 pt.e): an advance settled in
part shows what is left."""
from __future__ import annotations

import uuid

import pytest

from devstack.demo import sample_content

pytestmark = pytest.mark.e2e


def pay(flow, body: dict, end_status: str) -> dict:
    status, d = flow.api.call("POST", "/v1/dossiers", flow.signed(body), token=flow.unit)
    assert status == 201, d
    flow.decide(flow.officer, d["dossier_id"], "accept")
    flow.decide(flow.leader, d["dossier_id"], "approve")
    return flow.reaches(d["dossier_id"], end_status)


def test_the_unit_sees_what_is_left_of_an_advance_settled_in_part(person, flow, screens):
    tag = f"TU-{uuid.uuid4().hex[:6]}"
    advance = pay(flow, sample_content(tag, 3_000_000, payment_kind="advance", contract={
        "number": f"HĐ-{tag}", "date": "2026-02-01", "value": 6_000_000,
        "advance_rate_percent": 50}), "paid")
    pay(flow, sample_content(f"{tag}-TT", 1_000_000, payment_kind="advance_settlement",
                             related_dossier=advance["dossier_id"]), "recorded")
    page = person("ketoan.cva")
    page.get_by_role("link", name="Tạm ứng").click()
    row = page.locator(f'tr[data-advance="{advance["dossier_id"]}"]')
    row.wait_for()
    assert row.get_attribute("data-left") == "2000000"
    assert tag in row.inner_text()
    screens.save(page, "unit-advances")
