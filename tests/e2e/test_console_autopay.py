"""Utility auto-pay in the browser (views/unit-autopay.js, autopay-form.js; 347/2025 Art.6 cl.3
pt.a): the accountant writes the authorisation letter from the auto-pay screen, it is signed and
sent like any dossier; once accepted, the provider's bills show with their outcome and a refusal's
reason; the account holder revokes it after confirming with a reason, and a later bill is refused."""
from __future__ import annotations

import uuid

import boto3
import pytest

from devstack import provider
from devstack.demo import ACCOUNT
from tests.e2e.test_console_cycle import until
from tests.integration.flow import Flow

pytestmark = pytest.mark.e2e
A = "content.autopay"


def _send(stack, message: dict) -> None:
    provider.send(boto3.client("sqs", endpoint_url=stack.endpoint_url,
                               region_name=stack.env["AWS_REGION"]), message)


def test_art6_cl3_pt_a_the_unit_authorises_auto_pay_sees_its_bills_and_revokes_it(
        person, screens, signing_helper, api, tokens, pki_dir, stack):
    tag = uuid.uuid4().hex[:8].upper()
    meter = f"PD{tag}"
    unit = person("ketoan.cva")
    unit.get_by_role("link", name="Thanh toán tự động").click()
    unit.click('[data-action="new-autopay"]')
    unit.wait_for_selector('[data-block="autopay"]')
    for field, value in (("provider.name", "Tổng công ty Điện lực TP Hà Nội"),
                         ("provider.tax_code", "0100101114"), ("provider.customer_codes", meter),
                         ("collector.name", "Tổng công ty Điện lực TP Hà Nội"),
                         ("collector.bank_code", "01201001"), ("collector.account", "1234567890"),
                         ("debit_account", ACCOUNT), ("ceiling_per_bill", "2000000")):
        unit.fill(f'[data-field="{A}.{field}"]', value)
    unit.select_option(f'[data-field="{A}.provider.service_kind"]', "electricity")
    unit.fill('input[name="signtool"]', signing_helper.url)
    unit.click('[data-action="sign"]')
    unit.wait_for_selector('li[data-title="account_holder"][data-signed="true"]')
    screens.save(unit, "unit-autopay-letter")
    unit.click('[data-action="send"]')
    unit.wait_for_selector('[data-view="unit-dossier"][data-status="under_review"]')
    authorisation_id = unit.url.rsplit("/", 1)[1]
    Flow(api, tokens, pki_dir).decide(Flow(api, tokens, pki_dir).officer, authorisation_id, "accept")
    until(unit, '[data-view="unit-dossier"][data-status="registered"]')

    _send(stack, provider.bill(authorisation_id, f"HD-{tag}-1", meter, 1_250_000))
    _send(stack, provider.bill(authorisation_id, f"HD-{tag}-2", meter, 5_000_000))   # over the ceiling
    holder = person("chutk.cva")
    holder.get_by_role("link", name="Thanh toán tự động").click()
    card = f'[data-authorisation="{authorisation_id}"]'
    until(holder, f'{card} tr[data-bill="HD-{tag}-2"]')
    until(holder, f'{card} tr[data-bill="HD-{tag}-1"]')
    assert holder.get_attribute(f'{card} tr[data-bill="HD-{tag}-1"]', "data-outcome") == "paid"
    refused = holder.locator(f'{card} tr[data-bill="HD-{tag}-2"]')
    assert (refused.get_attribute("data-outcome"), refused.get_attribute("data-code")) == \
        ("refused", "over_ceiling")
    assert "5.000.000" in refused.inner_text() and len(refused.locator("td").nth(5).inner_text()) > 5
    screens.save(holder, "unit-autopay-bills")

    # The accountant reads but may not revoke: the button is the account holder's alone.
    unit.get_by_role("link", name="Thanh toán tự động").click()
    unit.wait_for_selector(card)
    assert unit.locator(f'{card} [data-action="revoke"]').count() == 0

    holder.click(f'{card} [data-action="revoke"]')
    holder.click('[data-action="cancel-revoke"]')                       # thought better of it
    assert holder.get_attribute(card, "data-status") == "in_force"
    holder.click(f'{card} [data-action="revoke"]')
    holder.fill('textarea[name="revoke_reason"]', "Chuyển sang thanh toán bằng ủy nhiệm chi.")
    holder.click('[data-action="confirm-revoke"]')
    holder.wait_for_selector(f'{card}[data-status="revoked"]')
    assert "ủy nhiệm chi" in holder.locator(f'{card} [data-part="revoked"]').inner_text()
    assert holder.locator(f'{card} [data-action="revoke"]').count() == 0

    _send(stack, provider.bill(authorisation_id, f"HD-{tag}-3", meter, 300_000))   # after revocation
    late = until(holder, f'{card} tr[data-bill="HD-{tag}-3"]')
    assert late.get_attribute("data-code") == "authorisation_revoked"
    screens.save(holder, "unit-autopay-revoked")
