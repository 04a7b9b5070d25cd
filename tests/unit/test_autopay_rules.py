"""Utility auto-pay's pure rules (chalicelib/domain/autopay.py): the authorisation letter of
347/2025 Art.6 cl.3 pt.a and what a provider's bill must meet to be debited."""
from __future__ import annotations

import copy
from datetime import date

import pytest

from chalicelib.domain import autopay, catalogue
from chalicelib.domain.errors import InvalidField
from devstack.provider import bill as a_bill
from devstack.provider import letter

pytestmark = pytest.mark.unit
AUTH_ID = "01JGZ8Q6W8M0Y3S4T5V6X7Y8Z9"
TODAY = date(2026, 4, 2)


def _letter(**options) -> autopay.Authorisation:
    return autopay.parse_authorisation(letter("9523.1.1012345", ["PD01", "PD02"], **options)["autopay"])


def _bill(amount: int = 3_250_000, **fields) -> autopay.Bill:
    return autopay.parse_bill({**a_bill(AUTH_ID, "HD-1", "PD01", amount), **fields})


def _refusal(bill: autopay.Bill, *, status: str = autopay.IN_FORCE, available: int = 10**9,
             account_open: bool = True, today: date = TODAY, **options) -> str | None:
    found = autopay.refusal(status=status, authorisation=_letter(**options), bill=bill,
                            available=available, account_open=account_open, today=today)
    return found.code if found else None


def test_art6_cl3_pt_a_the_authorisation_is_a_signed_dossier_of_its_own_under_decree_347():
    proc = catalogue.version_in_force(autopay.PROCEDURE, date(2026, 3, 1))
    assert proc.content_kind == "utility_autopay"
    assert proc.legal_basis == "Nghị định 347/2025/NĐ-CP, Điều 6"
    assert proc.required_signers == ("chief_accountant", "account_holder")
    review = proc.step("review")
    assert {d.name for d in review.decisions} == {"accept", "request_supplement", "refuse"}
    assert review.decision("accept").next_step == "put_in_force"
    assert proc.step("put_in_force").is_system
    assert proc.step("put_in_force").decision("in_force").end_status == catalogue.REGISTERED


def test_art6_cl3_pt_a_the_letter_names_provider_service_customer_codes_collector_and_account():
    auth = _letter(ceiling=5_000_000, valid_to="2026-12-31")
    assert (auth.provider_tax_code, auth.service_kind, auth.customer_codes) == (
        "0100101114", "electricity", ("PD01", "PD02"))
    assert (auth.collector_bank, auth.collector_account, auth.debit_account) == (
        "01201001", "1234567890", "9523.1.1012345")
    assert (auth.ceiling, auth.valid_from, auth.valid_to) == (
        5_000_000, date(2026, 1, 1), date(2026, 12, 31))
    assert autopay.from_record(autopay.to_record(auth)) == auth


@pytest.mark.parametrize("change, field, code", [
    (lambda c: c["provider"].update(service_kind="gas"), "content.autopay.provider.service_kind",
     "invalid_choice"),
    (lambda c: c["provider"].update(tax_code="12"), "content.autopay.provider.tax_code",
     "invalid_format"),
    (lambda c: c["provider"].update(customer_codes=[]), "content.autopay.provider.customer_codes",
     "required"),
    (lambda c: c["provider"].update(customer_codes=["PD01", "bad code"]),
     "content.autopay.provider.customer_codes[1]", "invalid_format"),
    (lambda c: c["provider"].update(customer_codes=["PD01", "PD01"]),
     "content.autopay.provider.customer_codes", "duplicate_customer_code"),
    (lambda c: c.pop("collector"), "content.autopay.collector", "required"),
    (lambda c: c.update(ceiling_per_bill=0), "content.autopay.ceiling_per_bill", "invalid_amount"),
    (lambda c: c.update(ceiling_per_bill=1.5), "content.autopay.ceiling_per_bill", "invalid_amount"),
    (lambda c: c.update(valid_to="2025-12-31"), "content.autopay.valid_to", "invalid_period"),
    (lambda c: c.update(valid_from="2026-02-30"), "content.autopay.valid_from", "invalid_format"),
])
def test_a_malformed_letter_is_refused_naming_its_field(change, field, code):
    content = copy.deepcopy(letter("9523.1.1012345", ["PD01"])["autopay"])
    change(content)
    with pytest.raises(InvalidField) as caught:
        autopay.parse_authorisation(content)
    assert (caught.value.field, caught.value.code) == (field, code)


def test_art6_cl3_pt_a_a_bill_within_the_authorisation_and_the_balance_is_paid():
    assert _refusal(_bill()) is None


def test_art6_cl3_pt_a_a_bill_is_keyed_by_its_provider_and_its_id():
    assert _bill().key == "0100101114#HD-1"


def test_art6_cl3_pt_a_a_bill_after_revocation_is_refused():
    assert _refusal(_bill(), status=autopay.REVOKED) == "authorisation_revoked"


def test_art6_cl3_pt_a_a_bill_without_an_authorisation_in_force_is_refused():
    found = autopay.refusal(status="", authorisation=None, bill=_bill(), available=10**9,
                            account_open=True, today=TODAY)
    assert found is not None and found.code == "authorisation_not_in_force"
    assert _refusal(_bill(), today=date(2025, 12, 31)) == "authorisation_not_in_force"
    assert _refusal(_bill(), valid_to="2026-03-31") == "authorisation_not_in_force"


def test_art6_cl3_pt_a_a_bill_of_another_provider_service_or_customer_code_is_refused():
    assert _refusal(_bill(provider_tax_code="0100100079")) == "provider_mismatch"
    assert _refusal(_bill(service_kind="water")) == "provider_mismatch"
    assert _refusal(_bill(customer_code="PD99")) == "customer_code_not_authorised"


def test_art6_cl3_pt_a_a_bill_over_the_units_ceiling_is_refused():
    assert _refusal(_bill(5_000_001), ceiling=5_000_000) == "over_ceiling"
    assert _refusal(_bill(5_000_000), ceiling=5_000_000) is None


def test_art6_cl2_pt_c_a_bill_over_the_available_balance_is_refused():
    assert _refusal(_bill(3_250_000), available=3_249_999) == "insufficient_balance"
    assert _refusal(_bill(3_250_000), available=3_250_000) is None
    assert _refusal(_bill(), account_open=False) == "account_closed"


def test_a_revoked_authorisation_is_refused_before_the_balance_is_looked_at():
    assert _refusal(_bill(), status=autopay.REVOKED, available=0) == "authorisation_revoked"


@pytest.mark.parametrize("message", [
    None, [], {"schema": "other/1"},
    {**a_bill(AUTH_ID, "HD-1", "PD01", 1), "amount": 0},
    {**a_bill(AUTH_ID, "HD-1", "PD01", 1), "amount": "100"},
    {**a_bill(AUTH_ID, "HD 1", "PD01", 1)},
    {**a_bill("not-an-id", "HD-1", "PD01", 1)},
    {**a_bill(AUTH_ID, "HD-1", "PD01", 1), "service_kind": "gas"},
])
def test_a_message_that_is_not_a_bill_of_the_contract_is_malformed(message):
    with pytest.raises(autopay.MalformedBill):
        autopay.parse_bill(message)


def _decided(outcome: str, code: str | None = None, reason: str | None = None):
    from chalicelib.adapters.models import AutopayBill
    raw = a_bill(AUTH_ID, "HD-7", "PD01", 3_250_000)
    return AutopayBill("AUTOPAYBILL#0100101114#HD-7", bill_id="HD-7", authorisation_id=AUTH_ID,
                       unit_id="1023456", account_id="9523.1.1023456", amount=3_250_000, bill=raw,
                       decided_at="2026-04-02T01:00:00Z", outcome=outcome, code=code, reason=reason)


def test_art6_cl2_pt_i_a_paid_bill_sends_the_unit_a_debit_advice():
    from chalicelib.services.autopay import notice_text
    subject, body = notice_text(_decided(autopay.PAID))
    assert subject.startswith("[KBNN] Báo Nợ") and "9523.1.1023456" in subject
    assert "3.250.000" in body and "HD-7" in body and AUTH_ID in body and "điện" in body


def test_art6_cl2_pt_k_a_refused_bill_sends_the_unit_the_refusal_with_its_reason():
    from chalicelib.services.autopay import notice_text
    reason = "Đơn vị đã thu hồi ủy quyền trích tài khoản."
    subject, body = notice_text(_decided(autopay.REFUSED, "authorisation_revoked", reason))
    assert subject.startswith("[KBNN] Từ chối") and "HD-7" in subject
    assert body.endswith(reason)
