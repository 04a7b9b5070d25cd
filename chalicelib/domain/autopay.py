"""Utility auto-pay: the unit's standing authorisation for the treasury to debit its account per
bill of electricity, water or telecom, and the rules a provider's bill meets before it is paid.

347/2025 Art.6 cl.3 pt.a (2nd paragraph): the unit's letter authorising the treasury to debit its
account automatically and periodically, paying the service provider or the collector the provider
authorised, by the value of the service used; cl.4 pt.b: 02 paper originals (online: one signed
copy, cl.4 pt.a). This module parses the letter's content and a bill message and decides a bill;
it is pure (stdlib only) so every rule is tested without AWS.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from .errors import InvalidField
from .voucher import ACCOUNT_ID, vnd

PROCEDURE = "utility_autopay_authorisation"
BILL_SCHEMA = "kbnn.autopay.bill/1"
SERVICE_KINDS = ("electricity", "water", "telecom")
SERVICE_VI = {"electricity": "điện", "water": "nước", "telecom": "viễn thông"}
TAX_CODE = re.compile(r"[0-9]{10}(-[0-9]{3})?")
CUSTOMER_CODE = re.compile(r"[0-9A-Za-z._\-]{1,40}")
BILL_ID = re.compile(r"[0-9A-Za-z._:\-]{1,80}")
BANK_CODE = re.compile(r"[0-9A-Za-z]{3,20}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
MAX_CUSTOMER_CODES = 50
MAX_BILL_AMOUNT = 10**15          # đồng: the bound every amount of the service keeps

IN_FORCE, REVOKED = "in_force", "revoked"
PAID, REFUSED = "paid", "refused"


@dataclass(frozen=True)
class Authorisation:
    provider_name: str
    provider_tax_code: str
    service_kind: str
    customer_codes: tuple[str, ...]
    collector_name: str
    collector_bank: str
    collector_account: str
    debit_account: str
    ceiling: int | None
    valid_from: date
    valid_to: date | None


@dataclass(frozen=True)
class Bill:
    bill_id: str
    authorisation_id: str
    provider_tax_code: str
    customer_code: str
    service_kind: str
    period: str
    amount: int
    issued_at: str

    @property
    def key(self) -> str:
        """One bill is paid once: its provider and its id name it (the idempotency key)."""
        return f"{self.provider_tax_code}#{self.bill_id}"


def _fail(field: str, message: str, code: str = "invalid_field") -> InvalidField:
    return InvalidField(message, code=code, field=field)


def _text(obj: dict, key: str, path: str, *, pattern: re.Pattern | None = None,
          max_len: int = 200, required: bool = True) -> str | None:
    value = obj.get(key)
    field = f"{path}.{key}"
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _fail(field, "Thiếu thông tin bắt buộc.", "required")
    if len(value) > max_len or (pattern is not None and not pattern.fullmatch(value)):
        raise _fail(field, "Giá trị không đúng định dạng.", "invalid_format")
    return value.strip()


def _day(obj: dict, key: str, path: str, *, required: bool) -> date | None:
    raw = _text(obj, key, path, pattern=_DATE, required=required)
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise _fail(f"{path}.{key}", "Ngày không hợp lệ.", "invalid_format") from None


def _amount(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < MAX_BILL_AMOUNT:
        raise _fail(field, "Số tiền phải là số nguyên đồng dương.", "invalid_amount")
    return value


def parse_authorisation(content: Any, path: str = "content.autopay") -> Authorisation:
    """The letter's content (347/2025 Art.6 cl.3 pt.a): who is paid, for which service and
    customer codes, through which collecting account, from which of the unit's accounts, up to
    what per bill, from when until when."""
    if not isinstance(content, dict):
        raise _fail(path, "Thiếu nội dung ủy quyền trích tài khoản.", "required")
    provider = content.get("provider")
    if not isinstance(provider, dict):
        raise _fail(f"{path}.provider", "Thiếu thông tin nhà cung cấp dịch vụ.", "required")
    pp = f"{path}.provider"
    kind = provider.get("service_kind")
    if kind not in SERVICE_KINDS:
        raise _fail(f"{pp}.service_kind", "Loại dịch vụ phải là điện, nước hoặc viễn thông "
                    "(electricity, water, telecom).", "invalid_choice")
    codes = provider.get("customer_codes")
    if not isinstance(codes, list) or not 1 <= len(codes) <= MAX_CUSTOMER_CODES:
        raise _fail(f"{pp}.customer_codes", f"Cần 1-{MAX_CUSTOMER_CODES} mã khách hàng.",
                    "required")
    for i, code in enumerate(codes):
        if not isinstance(code, str) or not CUSTOMER_CODE.fullmatch(code):
            raise _fail(f"{pp}.customer_codes[{i}]", "Mã khách hàng không đúng định dạng.",
                        "invalid_format")
    if len(set(codes)) != len(codes):
        raise _fail(f"{pp}.customer_codes", "Mã khách hàng bị trùng.", "duplicate_customer_code")
    collector = content.get("collector")
    cp = f"{path}.collector"
    if not isinstance(collector, dict):
        raise _fail(cp, "Thiếu tài khoản thu hộ của nhà cung cấp.", "required")
    ceiling = content.get("ceiling_per_bill")
    if ceiling is not None:
        ceiling = _amount(ceiling, f"{path}.ceiling_per_bill")
    valid_from = _day(content, "valid_from", path, required=True)
    valid_to = _day(content, "valid_to", path, required=False)
    assert valid_from is not None
    if valid_to is not None and valid_to < valid_from:
        raise _fail(f"{path}.valid_to", "Ngày hết hiệu lực trước ngày bắt đầu.", "invalid_period")
    return Authorisation(
        provider_name=_text(provider, "name", pp) or "",
        provider_tax_code=_text(provider, "tax_code", pp, pattern=TAX_CODE) or "",
        service_kind=kind, customer_codes=tuple(codes),
        collector_name=_text(collector, "name", cp) or "",
        collector_bank=_text(collector, "bank_code", cp, pattern=BANK_CODE) or "",
        collector_account=_text(collector, "account", cp, pattern=ACCOUNT_ID) or "",
        debit_account=_text(content, "debit_account", path, pattern=ACCOUNT_ID) or "",
        ceiling=ceiling, valid_from=valid_from, valid_to=valid_to)


class MalformedBill(ValueError):
    """A message that is not a bill of the documented contract: nobody to refuse it to, so the
    consumer lets it fail to the dead-letter queue for the operator (never a domain refusal)."""


def parse_bill(message: Any) -> Bill:
    """A provider's bill message (docs/autopay.md, schema `kbnn.autopay.bill/1`)."""
    if not isinstance(message, dict) or message.get("schema") != BILL_SCHEMA:
        raise MalformedBill(f"not a {BILL_SCHEMA} message")
    try:
        return _bill(message)
    except InvalidField as exc:
        raise MalformedBill(f"{exc.field}: {exc.code}") from exc


def _bill(message: dict) -> Bill:
    kind = message.get("service_kind")
    if kind not in SERVICE_KINDS:
        raise _fail("bill.service_kind", "Loại dịch vụ không hợp lệ.", "invalid_choice")
    return Bill(
        bill_id=_text(message, "bill_id", "bill", pattern=BILL_ID) or "",
        authorisation_id=_text(message, "authorisation_id", "bill",
                               pattern=re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")) or "",
        provider_tax_code=_text(message, "provider_tax_code", "bill", pattern=TAX_CODE) or "",
        customer_code=_text(message, "customer_code", "bill", pattern=CUSTOMER_CODE) or "",
        service_kind=kind,
        period=_text(message, "period", "bill", pattern=re.compile(r"[0-9]{4}-[0-9]{2}")) or "",
        amount=_amount(message.get("amount"), "bill.amount"),
        issued_at=_text(message, "issued_at", "bill", max_len=40) or "")


@dataclass(frozen=True)
class Refusal:
    code: str
    reason: str


def refusal(*, status: str, authorisation: Authorisation | None, bill: Bill, available: int,
            account_open: bool, today: date) -> Refusal | None:
    """Why a bill must not be paid, or None: the debit the unit authorised, and only that.

    347/2025 Art.6 cl.3 pt.a: the treasury pays the provider (or its collector) the value of the
    service used, on the unit's authorisation; so a bill is refused when that authorisation is
    revoked or not (yet, still) in force, names another provider, service or customer code, or
    exceeds the ceiling the unit set. 347/2025 Art.6 cl.2 pt.c (and pt.d, pt.đ): within the
    account's balance, here the available balance (balance less what pending payments hold)."""
    if authorisation is None or status not in (IN_FORCE, REVOKED):
        return Refusal("authorisation_not_in_force", "Ủy quyền trích tài khoản chưa có hiệu lực.")
    if status == REVOKED:
        return Refusal("authorisation_revoked", "Đơn vị đã thu hồi ủy quyền trích tài khoản.")
    if today < authorisation.valid_from or (authorisation.valid_to is not None
                                            and today > authorisation.valid_to):
        return Refusal("authorisation_not_in_force",
                       "Hóa đơn đến ngoài thời hạn hiệu lực của ủy quyền.")
    if (bill.provider_tax_code != authorisation.provider_tax_code
            or bill.service_kind != authorisation.service_kind):
        return Refusal("provider_mismatch", "Nhà cung cấp hoặc loại dịch vụ không khớp ủy quyền.")
    if bill.customer_code not in authorisation.customer_codes:
        return Refusal("customer_code_not_authorised",
                       f"Mã khách hàng {bill.customer_code} không có trong ủy quyền.")
    if authorisation.ceiling is not None and bill.amount > authorisation.ceiling:
        return Refusal("over_ceiling", f"Hóa đơn {vnd(bill.amount)} vượt mức tối đa mỗi hóa đơn "
                       f"{vnd(authorisation.ceiling)} đơn vị đã đăng ký.")
    if not account_open:
        return Refusal("account_closed", "Tài khoản trích nợ đã được tất toán.")
    if bill.amount > available:
        return Refusal("insufficient_balance", f"Số dư khả dụng {vnd(available)} không đủ "
                       f"thanh toán hóa đơn {vnd(bill.amount)}.")
    return None


def to_record(auth: Authorisation) -> dict:
    """The authorisation as stored and served (JSON-ready)."""
    return {"provider": {"name": auth.provider_name, "tax_code": auth.provider_tax_code,
                         "service_kind": auth.service_kind,
                         "customer_codes": list(auth.customer_codes)},
            "collector": {"name": auth.collector_name, "bank_code": auth.collector_bank,
                          "account": auth.collector_account},
            "debit_account": auth.debit_account, "ceiling_per_bill": auth.ceiling,
            "valid_from": auth.valid_from.isoformat(),
            "valid_to": auth.valid_to.isoformat() if auth.valid_to else None}


def from_record(record: dict) -> Authorisation:
    return parse_authorisation(record, path="authorisation")


def local_today(now: datetime) -> date:
    from .calendar import local_date
    return local_date(now)
