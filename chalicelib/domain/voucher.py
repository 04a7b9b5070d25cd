"""Validation of a submission's signed content: the payment voucher (Giấy rút dự toán / Ủy nhiệm
chi) and its document manifest.

Every failure names the JSON path of the offending field. Money is whole đồng (int); a float,
a bool or a numeric string is refused rather than coerced, because a coerced amount is a wrong
payment.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

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
ADVANCE_SHARE_LIMIT = (1, 2)  # an advance is at most 50% of the contract value

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
    return number


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

    contract_number = contract_value = None
    raw_contract = obj.get("contract")
    if raw_contract is not None:
        c_path = f"{path}.contract"
        contract = _obj(raw_contract, c_path)
        contract_number = _text(contract, "number", c_path, max_len=50)
        _text(contract, "date", c_path, pattern=_DATE, shape="YYYY-MM-DD")
        contract_value = _amount(contract.get("value"), f"{c_path}.value")
    kind = PAYMENT_KINDS[payment_kind]
    if kind.needs_contract:
        if contract_number is None or contract_value is None:
            raise _fail(f"{path}.contract", "Tạm ứng phải có hợp đồng kèm theo.", "contract_required")
        num, den = ADVANCE_SHARE_LIMIT
        if total * den > contract_value * num:
            raise _fail(f"{path}.total", "Tạm ứng vượt quá 50% giá trị hợp đồng.",
                        "advance_over_limit")
    related = None
    if kind.relates_to:
        related = _text(obj, "related_dossier", path, max_len=26, pattern=DOSSIER_ID,
                        shape="mã hồ sơ (26 ký tự)")
    project_code = _project(obj, path) if "project" in blocks else None
    agreement_number = _funding(obj, path) if "funding" in blocks else None

    return Voucher(number, year, estimate_type, payment_kind, method, unit_code, chapter, account,
                   lines, total, payee_name, payee_account, contract_number, contract_value,
                   related, project_code, agreement_number)


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
