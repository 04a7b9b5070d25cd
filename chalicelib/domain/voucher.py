"""Validation of a submission's signed content: the payment voucher (Giấy rút dự toán / Ủy nhiệm
chi) and its document manifest.

A voucher that parses is valid in the sense of 347/2025 Art.3 cl.4 pt.a (complete and fully
filled in, Art.2 cl.9); its document manifest binds each file's SHA-256 into the one signed
content, so each component is one digitally signed copy (347/2025 Art.6 cl.4 pt.a).

Every failure names the JSON path of the offending field. Money is whole đồng (int); a float,
a bool or a numeric string is refused rather than coerced, because a coerced amount is a wrong
payment.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from . import advances, investment_dossier
from .catalogue import PAYMENT_KINDS, PaymentKind
from .errors import InvalidField


def grouped(amount: int) -> str:
    """Whole đồng grouped the Vietnamese way: 12.500.000 (what every message and notice shows)."""
    sign = "-" if amount < 0 else ""
    return sign + f"{abs(int(amount)):,}".replace(",", ".")


def vnd(amount: int) -> str:
    return grouped(amount) + " đồng"

MAX_AMOUNT = 10**15          # well above any single budget payment; stops absurd numbers early
MAX_LINES = 200

_UNIT_CODE = re.compile(r"[0-9]{7}")
_CHAPTER = re.compile(r"[0-9]{3}")
_ECONOMIC = re.compile(r"[0-9]{4}")
_SECTOR = re.compile(r"[0-9]{3}")
_SOURCE = re.compile(r"[0-9]{2}")
ACCOUNT_ID = re.compile(r"[0-9A-Za-z.\-]{4,40}")
_TAX_CODE = re.compile(r"[0-9]{10}(-[0-9]{3})?")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
DOSSIER_ID = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")
_PROJECT_CODE = re.compile(r"[0-9]{7}")
_CURRENCY = re.compile(r"[A-Z]{3}")
_DECIMAL = re.compile(r"[0-9]{1,15}(\.[0-9]{1,2})?")   # a foreign amount, as text: never a float


@dataclass(frozen=True)
class Line:
    content: str
    economic_code: str
    sector_code: str
    source_code: str
    amount: int


@dataclass(frozen=True)
class Voucher:
    number: str
    budget_year: int
    estimate_type: str
    payment_kind: str
    method: str
    unit_code: str
    chapter_code: str
    account: str
    lines: tuple[Line, ...]
    total: int
    payee_name: str
    payee_account: str | None
    contract_number: str | None
    contract_value: int | None
    related_dossier: str | None = None    # the advance a settlement settles, the payment adjusted
    project_code: str | None = None
    agreement_number: str | None = None
    advance_limit: int | None = None      # what the contract/decision lets the unit draw in advance
    difference_to_pay: int = 0            # a settlement above its advance: paid out (Art.6 cl.2 pt.e)
    budget_payment: BudgetPayment | None = None   # Mẫu 14 / 18: part paid into the budget
    investment: investment_dossier.Terms | None = None   # Decree 254/2025 procedures only
    # The part of a payment of completed volume that recovers the contract's advance (Mẫu
    # 04.b/TT; its rules: domain/investment.py); 0 when none is stated.
    advance_recovery: int = 0

    @property
    def kind(self) -> PaymentKind:
        return PAYMENT_KINDS[self.payment_kind]


def _at(path: str, key: str) -> str:
    """The JSON path of `key` in the object at `path` ("" : the body itself)."""
    return f"{path}.{key}" if path else key


def _fail(field: str, message: str, code: str = "invalid_field") -> InvalidField:
    return InvalidField(message, code=code, field=field)


def _obj(value: Any, path: str) -> dict:
    if not isinstance(value, dict):
        raise _fail(path, "Phải là một đối tượng JSON.", "invalid_type")
    return value


def _optional_text(obj: dict, key: str, path: str, *, required: bool = False, max_len: int = 200,
                   pattern: re.Pattern | None = None, shape: str = "") -> str | None:
    value = obj.get(key)
    if value is None:
        if required:
            raise _fail(_at(path, key), "Thiếu thông tin bắt buộc.", "required")
        return None
    if not isinstance(value, str):
        raise _fail(_at(path, key), "Phải là chuỗi ký tự.", "invalid_type")
    value = value.strip()
    if required and not value:
        raise _fail(_at(path, key), "Thiếu thông tin bắt buộc.", "required")
    if len(value) > max_len:
        raise _fail(_at(path, key), f"Dài quá {max_len} ký tự.", "too_long")
    if pattern is not None and not pattern.fullmatch(value):
        raise _fail(_at(path, key), f"Sai định dạng: {shape}.", "invalid_format")
    return value


def _text(obj: dict, key: str, path: str, *, max_len: int = 200,
          pattern: re.Pattern | None = None, shape: str = "") -> str:
    value = _optional_text(obj, key, path, required=True, max_len=max_len, pattern=pattern,
                           shape=shape)
    if value is None:  # unreachable: required=True raises first; keeps the type a plain str
        raise _fail(_at(path, key), "Thiếu thông tin bắt buộc.", "required")
    return value


def _amount(value: Any, path: str) -> int:
    # bool is an int in Python; a JSON true is not an amount.
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(path, "Số tiền phải là số nguyên đồng.", "invalid_amount")
    if value <= 0:
        raise _fail(path, "Số tiền phải lớn hơn 0.", "invalid_amount")
    if value >= MAX_AMOUNT:
        raise _fail(path, "Số tiền vượt quá giới hạn cho phép.", "invalid_amount")
    return value


def _choice(obj: dict, key: str, path: str, allowed: tuple[str, ...]) -> str:
    value = obj.get(key)
    if value not in allowed:
        raise _fail(_at(path, key), f"Phải là một trong: {', '.join(allowed)}.", "invalid_choice")
    return value


def _line(raw: Any, path: str) -> Line:
    obj = _obj(raw, path)
    return Line(
        content=_text(obj, "content", path),
        economic_code=_text(obj, "economic_code", path, pattern=_ECONOMIC, shape="4 chữ số"),
        sector_code=_text(obj, "sector_code", path, pattern=_SECTOR, shape="3 chữ số"),
        source_code=_text(obj, "source_code", path, pattern=_SOURCE, shape="2 chữ số"),
        amount=_amount(obj.get("amount"), f"{path}.amount"),
    )


def _project(obj: dict, path: str) -> str:
    project = _obj(obj.get("project"), f"{path}.project")
    _text(project, "name", f"{path}.project")
    return _text(project, "code", f"{path}.project", pattern=_PROJECT_CODE, shape="7 chữ số")


def _funding(obj: dict, path: str) -> str:
    """The foreign loan or grant the money comes from, with the amount in its own currency."""
    f_path = f"{path}.funding"
    funding = _obj(obj.get("funding"), f_path)
    number = _text(funding, "agreement_number", f_path, max_len=50)
    _text(funding, "lender", f_path)
    _text(funding, "currency", f_path, pattern=_CURRENCY, shape="mã tiền tệ ISO 4217, ví dụ USD")
    _text(funding, "original_amount", f_path, max_len=20, pattern=_DECIMAL,
          shape="số, tối đa 2 chữ số thập phân, viết dạng chuỗi")
    # 347/2025 Art.15 cl.1 pt.c: the treaty's signing date and whether the programme is funded
    # from recurrent estimates decide which decree's procedure it keeps (domain/catalogue.py).
    _optional_text(funding, "treaty_signed_on", f_path, pattern=_DATE, shape="YYYY-MM-DD")
    if funding.get("estimate") is not None:
        _choice(funding, "estimate", f_path, FUNDING_ESTIMATES)
    return number


FUNDING_ESTIMATES = ("recurrent", "investment")   # dự toán chi thường xuyên / chi đầu tư


def parse_voucher(raw: Any, payment_kinds: tuple[str, ...], path: str = "content.voucher",
                  blocks: tuple[str, ...] = ()) -> Voucher:
    obj = _obj(raw, path)
    number = _text(obj, "number", path, max_len=30)
    year = obj.get("budget_year")
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        raise _fail(f"{path}.budget_year", "Năm ngân sách không hợp lệ.", "invalid_format")
    estimate_type = _choice(obj, "estimate_type", path, ("official", "temporary"))
    payment_kind = _choice(obj, "payment_kind", path, payment_kinds)
    method = _choice(obj, "method", path, ("transfer", "cash"))

    payer_path = f"{path}.payer"
    payer = _obj(obj.get("payer"), payer_path)
    unit_code = _text(payer, "unit_code", payer_path, pattern=_UNIT_CODE, shape="7 chữ số")
    chapter = _text(payer, "chapter_code", payer_path, pattern=_CHAPTER, shape="3 chữ số")
    account = _text(payer, "account", payer_path, pattern=ACCOUNT_ID, shape="số tài khoản")

    raw_lines = obj.get("lines")
    if not isinstance(raw_lines, list) or not raw_lines:
        raise _fail(f"{path}.lines", "Chứng từ phải có ít nhất một dòng.", "required")
    if len(raw_lines) > MAX_LINES:
        raise _fail(f"{path}.lines", f"Tối đa {MAX_LINES} dòng.", "too_long")
    lines = tuple(_line(r, f"{path}.lines[{i}]") for i, r in enumerate(raw_lines))
    total = _amount(obj.get("total"), f"{path}.total")
    if sum(line.amount for line in lines) != total:
        raise _fail(f"{path}.total", "Tổng số tiền không khớp với tổng các dòng.", "total_mismatch")

    payee_path = f"{path}.payee"
    payee = _obj(obj.get("payee"), payee_path)
    payee_name = _text(payee, "name", payee_path)
    payee_account = _optional_text(payee, "account", payee_path, required=method == "transfer",
                          pattern=ACCOUNT_ID, shape="số tài khoản")
    _optional_text(payee, "bank", payee_path, required=method == "transfer")
    _optional_text(payee, "tax_code", payee_path, pattern=_TAX_CODE,
          shape="10 hoặc 13 chữ số")

    contract_number = contract_value = advance_limit = None
    agreement = None
    if obj.get("contract") is not None:
        agreement = advances.parse_agreement(obj["contract"], f"{path}.contract")
        contract_number, contract_value = agreement.number, agreement.value
        advance_limit = agreement.advance_limit()
    kind = PAYMENT_KINDS[payment_kind]
    if kind.needs_contract:
        if agreement is None:
            raise _fail(f"{path}.contract", "Tạm ứng phải có hợp đồng hoặc quyết định kèm theo.",
                        "contract_required")
        advances.check_advance(total, agreement, path)   # 347/2025 Art.6 cl.2 pt.b 4th para
    difference = 0
    if payment_kind == "advance_settlement" and obj.get("difference_to_pay") is not None:
        difference = _amount(obj["difference_to_pay"], f"{path}.difference_to_pay")
        if difference >= total:   # 347/2025 Art.6 cl.2 pt.e: part of the total is the advance
            raise _fail(f"{path}.difference_to_pay", "Số chênh lệch phải nhỏ hơn tổng số tiền.",
                        "invalid_amount")
    related = None
    if kind.relates_to:
        related = _text(obj, "related_dossier", path, max_len=26, pattern=DOSSIER_ID,
                        shape="mã hồ sơ (26 ký tự)")
    project_code = _project(obj, path) if "project" in blocks else None
    agreement_number = _funding(obj, path) if "funding" in blocks else None
    investment = (investment_dossier.parse_terms(obj, path, payment_kind)
                  if "investment" in blocks else None)

    return Voucher(number, year, estimate_type, payment_kind, method, unit_code, chapter, account,
                   lines, total, payee_name, payee_account, contract_number, contract_value,
                   related, project_code, agreement_number, advance_limit, difference,
                   budget_payment=parse_budget_payment(obj, path, kind, total),
                   investment=investment, advance_recovery=_stated_recovery(obj))


def _stated_recovery(obj: dict) -> int:
    """What the voucher says it recovers, for the components it then needs; whether it may
    (and how much) is domain/investment.py's rule, checked at receipt with the project."""
    value = obj.get("advance_recovery")
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


# --- the split voucher: part into the budget, the rest to the payee (Mẫu 14, Mẫu 18) ---------
# 347/2025 Art.4 cl.4 pt.h, pt.i: a Giấy rút dự toán (Mẫu 14, C2-02b/NS) or an Ủy nhiệm chi
# (Mẫu 18, C4-02c/KB) "kiêm nộp NSNN" is itself a budget-payment voucher; 347/2025 Art.6 cl.3
# pt.a lists both among the spending dossier's vouchers. The form splits the total, column
# (9) = (10) Nộp NSNN + (11) Thanh toán cho đối tượng thụ hưởng, and its block NỘP NGÂN SÁCH NHÀ
# NƯỚC names who pays the tax and where the revenue is booked.

# Footnote 6 of Mẫu 14/18: 7111 budget revenue, 7114 on the State Audit's recommendation (Mẫu 18
# prints "71114", a typo), 8993 recovery of a VAT refund; or the collecting agency's temporary
# collection account at the treasury (a treasury account number: 4-digit account, then dots).
REVENUE_ACCOUNTS = {"7111": "thu NSNN", "7114": "thu NSNN theo kiến nghị của Kiểm toán Nhà nước",
                    "8993": "thu hồi hoàn thuế giá trị gia tăng"}
_TEMPORARY_ACCOUNT = re.compile(r"[0-9]{4}\.[0-9A-Za-z.\-]{1,35}")
# Mục lục NSNN (Thông tư 324/2016/TT-BTC): revenue sections are numbered 1000–4999, spending
# from 6000; a spending code in the revenue field is a slip of the pen, refused.
_REVENUE_ECONOMIC = re.compile(r"[1-4][0-9]{3}")
# A taxpayer's code: an organisation's 10 digits (13 with a branch suffix), or an individual's
# 12-digit personal identification number, which serves as the tax code.
_PAYER_TAX_CODE = re.compile(r"[0-9]{10}(-[0-9]{3})?|[0-9]{12}")
_AREA_CODE = re.compile(r"[0-9]{2,5}")


@dataclass(frozen=True)
class BudgetPayment:
    """The NỘP NGÂN SÁCH NHÀ NƯỚC block of Mẫu 14 / Mẫu 18."""
    taxpayer_name: str
    tax_code: str
    economic_code: str           # the revenue's mã nội dung kinh tế
    chapter_code: str            # the taxpayer's mã chương
    revenue_account: str
    collecting_agency: str       # cơ quan thu ngân sách
    treasury: str                # Kho bạc Nhà nước hạch toán khoản thu
    amount: int                  # column (10)
    payee_amount: int            # column (11): what is left for the payee
    declaration_id: str | None = None   # số tờ khai / quyết định / thông báo / ID khoản phải nộp
    tax_period: str | None = None       # kỳ thuế / ngày quyết định / ngày thông báo
    area_code: str | None = None        # mã địa bàn hành chính


def parse_budget_payment(obj: dict, path: str, kind: PaymentKind, total: int) -> BudgetPayment | None:
    """The voucher's `budget_payment` block and `payee.amount`, or None for a voucher paying its
    whole total to the payee. 347/2025 Art.4 cl.4 pt.h (Mẫu 14), 347/2025 Art.4 cl.4 pt.i (Mẫu 18),
    347/2025 Art.6 cl.3 pt.a:
    the part into the budget plus the part to the payee make the voucher's total."""
    b_path = f"{path}.budget_payment"
    payee = obj.get("payee")
    raw_payee_amount = payee.get("amount") if isinstance(payee, dict) else None
    raw = obj.get("budget_payment")
    if raw is None:
        # A voucher that names the payee's amount must give it the whole total.
        if raw_payee_amount is not None and _amount(raw_payee_amount, f"{path}.payee.amount") != total:
            raise _fail(f"{path}.payee.amount",
                        f"Số tiền thanh toán cho đối tượng thụ hưởng ({vnd(raw_payee_amount)}) "
                        f"phải bằng tổng số tiền ({vnd(total)}).", "split_mismatch")
        return None
    block = _obj(raw, b_path)
    if kind.balance_effect >= 0:   # only money leaving the account can be split
        raise _fail(b_path, "Chỉ chứng từ thực chi hoặc tạm ứng mới được kèm nộp NSNN.",
                    "budget_payment_not_allowed")
    amount = _amount(block.get("amount"), f"{b_path}.amount")
    if raw_payee_amount is None:
        raise _fail(f"{path}.payee.amount",
                    "Chứng từ kiêm nộp NSNN phải ghi số tiền thanh toán cho đối tượng thụ hưởng.",
                    "required")
    payee_amount = _amount(raw_payee_amount, f"{path}.payee.amount")
    if amount + payee_amount != total:
        raise _fail(f"{path}.payee.amount",
                    f"Nộp NSNN {vnd(amount)} cộng thanh toán cho đối tượng thụ hưởng "
                    f"{vnd(payee_amount)} phải bằng tổng số tiền {vnd(total)}.", "split_mismatch")
    revenue_account = _text(block, "revenue_account", b_path, max_len=40)
    if revenue_account not in REVENUE_ACCOUNTS and not _TEMPORARY_ACCOUNT.fullmatch(revenue_account):
        raise _fail(f"{b_path}.revenue_account",
                    "Sai định dạng: 7111, 7114, 8993 hoặc số tài khoản tạm thu của cơ quan thu.",
                    "invalid_format")
    declaration_id = _optional_text(block, "declaration_id", b_path, max_len=50)
    area_code = _optional_text(block, "area_code", b_path, required=declaration_id is None,
                               pattern=_AREA_CODE, shape="2 đến 5 chữ số")
    return BudgetPayment(
        taxpayer_name=_text(block, "taxpayer_name", b_path),
        tax_code=_text(block, "tax_code", b_path, pattern=_PAYER_TAX_CODE,
                       shape="10, 13 (dạng 10-3) hoặc 12 chữ số"),
        economic_code=_text(block, "economic_code", b_path, pattern=_REVENUE_ECONOMIC,
                            shape="4 chữ số, mã khoản thu (1000–4999)"),
        chapter_code=_text(block, "chapter_code", b_path, pattern=_CHAPTER, shape="3 chữ số"),
        revenue_account=revenue_account,
        collecting_agency=_text(block, "collecting_agency", b_path),
        treasury=_text(block, "treasury", b_path),
        amount=amount, payee_amount=payee_amount, declaration_id=declaration_id,
        tax_period=_optional_text(block, "tax_period", b_path, max_len=50), area_code=area_code)


MAX_DOCUMENTS = 50


def parse_documents(raw: Any, kinds: tuple[str, ...], path: str = "content.documents") -> tuple[dict, ...]:
    """The document manifest: each file named with its SHA-256 (so the signatures cover the
    bytes) and the dossier component it is (`kinds`)."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) > MAX_DOCUMENTS:
        raise _fail(path, f"Danh mục tài liệu phải là danh sách (tối đa {MAX_DOCUMENTS}).",
                    "invalid_type")
    docs = []
    for i, item in enumerate(raw):
        obj = _obj(item, f"{path}[{i}]")
        docs.append({"kind": _choice(obj, "kind", f"{path}[{i}]", kinds),
                     "name": file_name(obj, "name", f"{path}[{i}]"),
                     "sha256": sha256_hex(obj, "sha256", f"{path}[{i}]")})
    return tuple(docs)


def file_name(obj: dict, key: str, path: str) -> str:
    """A plain file name: no directories, no hidden files, no control characters."""
    name = _text(obj, key, path, max_len=120)
    if "/" in name or "\\" in name or name.startswith(".") or any(ord(c) < 32 for c in name) \
            or '"' in name:
        raise _fail(_at(path, key), "Tên tệp không hợp lệ.", "invalid_format")
    return name


def sha256_hex(obj: dict, key: str, path: str) -> str:
    return _text(obj, key, path, pattern=_SHA256, shape="SHA-256 hex")


# The field readers the other signed forms share (domain/budget_forms.py: Mẫu 08, 09, 22), so a
# well-formed text, amount or choice means the same on every form.
read_object, read_text, read_optional_text, read_amount, read_choice = (
    _obj, _text, _optional_text, _amount, _choice)
