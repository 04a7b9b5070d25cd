"""The payee list signed with a voucher: Danh sách thanh toán cho đối tượng thụ hưởng (Mẫu 20)
or, for students abroad, Danh sách thanh toán cho lưu học sinh (Mẫu 21), Decree 347/2025.

A payroll is one voucher paying hundreds or thousands of people. The list travels inside the
signed content (`content.payee_list`), so the two signatures cover every line, and the treasury
checks what 347/2025 Art.6 cl.2 pt.b (last paragraph) asks: each line's amount adds up to the
list's total, and the list's total equals the voucher's. Every failure names its line
(`content.payee_list.lines[41].account`).

A hospital's payroll runs to thousands of lines, so this parser is written for speed: one pass,
patterns compiled once, no copies of the input. Pure: no I/O, no clock.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .errors import InvalidField
from .voucher import ACCOUNT_ID, MAX_AMOUNT, vnd

MAX_PAYEE_LINES = 5_000     # a large hospital's monthly payroll; one more is refused
PATH = "content.payee_list"

# Mẫu 20 groups its lines: I. Công chức, II. Viên chức, III. Lao động hợp đồng, IV. Đối tượng khác.
GROUPS = {"civil_servant": "I. Công chức", "public_employee": "II. Viên chức",
          "contract_worker": "III. Lao động hợp đồng", "other": "IV. Đối tượng khác"}
FORMS = ("20", "21")
INSTITUTIONS = ("bank", "treasury")
FEE_TYPES = ("OUR", "SHA", "BEN")

_BANK_ACCOUNT = re.compile(r"[0-9]{6,20}")          # a Vietnamese bank account: digits only
_BANK_CODE = re.compile(r"[0-9]{8}")                # the bank's 8-digit code (mã ngân hàng)
_FOREIGN_ACCOUNT = re.compile(r"[0-9A-Z]{4,34}")    # an IBAN or a foreign bank's account number
_SWIFT = re.compile(r"[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?")
_CURRENCY = re.compile(r"[A-Z]{3}")
_COUNTRY = re.compile(r"[A-Z]{2}")                  # ISO 3166-1 alpha-2
_DECIMAL = re.compile(r"[0-9]{1,15}(\.[0-9]{1,2})?")


@dataclass(frozen=True, slots=True)
class PayeeLine:
    index: int              # 0-based position in the list: the line's identity (STT = index + 1)
    name: str
    account: str
    institution: str        # "bank" or "treasury": where the payee's account is kept
    bank_code: str | None
    bank_name: str
    amount: int
    group: str              # one of GROUPS (Mẫu 21: "other")


@dataclass(frozen=True)
class PayeeList:
    form: str
    total: int
    lines: tuple[PayeeLine, ...]

    @property
    def count(self) -> int:
        return len(self.lines)

    def group_totals(self) -> dict[str, int]:
        """Mẫu 20's subtotals per group (I–IV), as the form prints them."""
        totals: dict[str, int] = {}
        for line in self.lines:
            totals[line.group] = totals.get(line.group, 0) + line.amount
        return totals


def _fail(field: str, message: str, code: str) -> InvalidField:
    return InvalidField(message, code=code, field=field)


def _optional(obj: dict, key: str, path: str, max_len: int = 200,
              pattern: re.Pattern | None = None, shape: str = "", required: bool = False
              ) -> str | None:
    value = obj.get(key)
    if value is None or value == "":
        if required:
            raise _fail(f"{path}.{key}", "Thiếu thông tin bắt buộc.", "required")
        return None
    if type(value) is not str:
        raise _fail(f"{path}.{key}", "Phải là chuỗi ký tự.", "invalid_type")
    value = value.strip()
    if not value:
        if required:
            raise _fail(f"{path}.{key}", "Thiếu thông tin bắt buộc.", "required")
        return None
    if len(value) > max_len:
        raise _fail(f"{path}.{key}", f"Dài quá {max_len} ký tự.", "too_long")
    if pattern is not None and pattern.fullmatch(value) is None:
        raise _fail(f"{path}.{key}", f"Sai định dạng: {shape}.", "invalid_format")
    return value


def _text(obj: dict, key: str, path: str, max_len: int = 200, pattern: re.Pattern | None = None,
          shape: str = "") -> str:
    value = _optional(obj, key, path, max_len, pattern, shape, required=True)
    if value is None:   # unreachable: required=True raises first; keeps the type a plain str
        raise _fail(f"{path}.{key}", "Thiếu thông tin bắt buộc.", "required")
    return value


def _amount(value: Any, field: str) -> int:
    # type() not isinstance(): a JSON true is a bool, which Python counts as an int.
    if type(value) is not int:
        raise _fail(field, "Số tiền phải là số nguyên đồng.", "invalid_amount")
    if value <= 0:
        raise _fail(field, "Số tiền phải lớn hơn 0.", "invalid_amount")
    if value >= MAX_AMOUNT:
        raise _fail(field, "Số tiền vượt quá giới hạn cho phép.", "invalid_amount")
    return value


def _form20_line(obj: dict, i: int, path: str) -> PayeeLine:
    institution = obj.get("institution", "bank")
    if institution not in INSTITUTIONS:
        raise _fail(f"{path}.institution", "Phải là bank hoặc treasury.", "invalid_choice")
    group = obj.get("group", "other")
    if group not in GROUPS:
        raise _fail(f"{path}.group", f"Phải là một trong: {', '.join(GROUPS)}.", "invalid_choice")
    at_bank = institution == "bank"
    account = _text(obj, "account", path, 40, _BANK_ACCOUNT if at_bank else ACCOUNT_ID,
                    "số tài khoản ngân hàng (6–20 chữ số)" if at_bank
                    else "số tài khoản tại Kho bạc")
    bank_code = _optional(obj, "bank_code", path, 8, _BANK_CODE, "mã ngân hàng 8 chữ số",
                          required=at_bank)
    return PayeeLine(i, _text(obj, "name", path), account, institution, bank_code,
                     _text(obj, "bank_name", path), _amount(obj.get("amount"), f"{path}.amount"),
                     group)


def _form21_line(obj: dict, i: int, path: str) -> PayeeLine:
    """A student abroad (Mẫu 21): the decision sending them, the country, the currency, the
    receiving bank's SWIFT code; the amount the voucher pays is in đồng, the foreign amount text."""
    _text(obj, "decision", path, 100)
    _text(obj, "country", path, 2, _COUNTRY, "mã quốc gia ISO 3166-1, ví dụ JP")
    _text(obj, "currency", path, 3, _CURRENCY, "mã tiền tệ ISO 4217, ví dụ JPY")
    _text(obj, "swift", path, 11, _SWIFT, "mã SWIFT 8 hoặc 11 ký tự")
    _optional(obj, "foreign_amount", path, 20, _DECIMAL, "số, tối đa 2 chữ số thập phân")
    fee = obj.get("fee_type", "SHA")
    if fee not in FEE_TYPES:
        raise _fail(f"{path}.fee_type", "Phải là OUR, SHA hoặc BEN.", "invalid_choice")
    account = _text(obj, "account", path, 34, _FOREIGN_ACCOUNT,
                    "IBAN hoặc số tài khoản (chữ in hoa, số)")
    return PayeeLine(i, _text(obj, "name", path), account, "bank", None,
                     _text(obj, "bank_name", path), _amount(obj.get("amount"), f"{path}.amount"),
                     "other")


def parse_payee_list(raw: Any, voucher_total: int, path: str = PATH) -> PayeeList:
    """The list as signed, checked line by line, then its sums (347/2025 Art.6 cl.2 pt.b)."""
    if not isinstance(raw, dict):
        raise _fail(path, "Phải là một đối tượng JSON.", "invalid_type")
    form = raw.get("form")
    if form not in FORMS:
        raise _fail(f"{path}.form", "Phải là 20 (Mẫu 20) hoặc 21 (Mẫu 21).", "invalid_choice")
    raw_lines = raw.get("lines")
    if not isinstance(raw_lines, list) or not raw_lines:
        raise _fail(f"{path}.lines", "Danh sách phải có ít nhất một dòng.", "required")
    if len(raw_lines) > MAX_PAYEE_LINES:
        raise _fail(f"{path}.lines", f"Danh sách tối đa {MAX_PAYEE_LINES:,} dòng.".replace(",", "."),
                    "too_many_lines")
    parse_line = _form20_line if form == "20" else _form21_line
    lines = []
    for i, obj in enumerate(raw_lines):
        line_path = f"{path}.lines[{i}]"
        if not isinstance(obj, dict):
            raise _fail(line_path, "Phải là một đối tượng JSON.", "invalid_type")
        lines.append(parse_line(obj, i, line_path))
    if form == "21":
        _one_country_one_currency(raw_lines, path)
    total = _amount(raw.get("total"), f"{path}.total")
    listed = PayeeList(form, total, tuple(lines))
    check_sums(listed, voucher_total, path)
    return listed


def _one_country_one_currency(raw_lines: list, path: str) -> None:
    """Mẫu 21's note: the list is drawn up per country and per currency."""
    first = raw_lines[0]
    for i, obj in enumerate(raw_lines):
        for key in ("country", "currency"):
            if obj[key].strip() != first[key].strip():
                raise _fail(f"{path}.lines[{i}].{key}",
                            "Danh sách lưu học sinh lập theo từng nước, từng loại ngoại tệ.",
                            "mixed_country_or_currency")


def check_sums(listed: PayeeList, voucher_total: int, path: str = PATH) -> None:
    """347/2025 Art.6 cl.2 pt.b, last paragraph: the detailed amounts match the list's total,
    and the list's total matches the voucher's."""
    added = sum(line.amount for line in listed.lines)
    if added != listed.total:
        raise _fail(f"{path}.total", f"Tổng danh sách {vnd(listed.total)} khác tổng các dòng "
                    f"{vnd(added)}.", "payee_list_total_mismatch")
    if listed.total != voucher_total:
        raise _fail(f"{path}.total", f"Tổng danh sách {vnd(listed.total)} khác tổng chứng từ "
                    f"{vnd(voucher_total)}.", "payee_list_voucher_mismatch")


def line_errors(raw_lines: list, form: str = "20", path: str = PATH) -> list[InvalidField]:
    """Every failing line's error, in line order (one per line: its first failing field), for an
    import that shows the accountant all of them at once; `parse_payee_list` keeps stopping at
    the first, which is what a submission needs and what keeps it fast.
    347/2025 Art.6 cl.2 pt.b: each failure names its line."""
    parse_line = _form20_line if form == "20" else _form21_line
    found = []
    for i, obj in enumerate(raw_lines):
        line_path = f"{path}.lines[{i}]"
        try:
            if not isinstance(obj, dict):
                raise _fail(line_path, "Phải là một đối tượng JSON.", "invalid_type")
            parse_line(obj, i, line_path)
        except InvalidField as err:
            found.append(err)
    return found
