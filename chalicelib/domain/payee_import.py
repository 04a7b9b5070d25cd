"""From the rows of a spreadsheet the accounting software exported to the lines of a payee list
(Mẫu 20 / Mẫu 21, Decree 347/2025): which column is which, how a cell becomes a field, and every
failing line reported at once, so the accountant fixes the whole file in one go instead of one
error per upload.

Exports differ: a title block above the header, "Số tiền (đồng)" or "SỐ TIỀN", numbers stored as
text with dot thousands ("6.000.000"), Mẫu 20's group headings ("I. Công chức") and subtotal
rows ("Cộng", "Tổng cộng") between the lines. Headers are matched without case or diacritics;
what the file cannot settle is left to the list's own rules (payee_list.py), which name the
line and the field (347/2025 Art.6 cl.2 pt.b: lines that add up, each payee's account). Pure:
rows in, a dict out; the file reading is services/payee_import.py.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

from .errors import InvalidField
from .payee_list import FORMS, MAX_PAYEE_LINES, PATH, line_errors

HEADER_SEARCH_ROWS = 20   # a title block (unit, form number, month) may sit above the header

# A header, normalised (see `normalise`), to the PayeeLine field it fills.
HEADERS: dict[str, str] = {
    "stt": "stt", "so thu tu": "stt",
    "ho va ten": "name", "ho ten": "name", "doi tuong thu huong": "name", "ten doi tuong thu huong": "name",
    "ten nguoi thu huong": "name", "nguoi thu huong": "name", "ten": "name", "ten luu hoc sinh": "name",
    "ho ten luu hoc sinh": "name",
    "so tai khoan": "account", "tai khoan": "account", "so tk": "account", "tk": "account",
    "so tai khoan nguoi thu huong": "account", "so tai khoan thu huong": "account",
    "ten ngan hang": "bank_name", "ngan hang": "bank_name", "noi mo tai khoan": "institution",
    "ngan hang noi mo tai khoan": "bank_name", "ngan hang thu huong": "bank_name",
    "ten ngan hang kho bac": "bank_name",
    "ma ngan hang": "bank_code", "ma nh": "bank_code",
    "so tien": "amount", "thanh tien": "amount", "so tien thanh toan": "amount",
    "so tien vnd": "amount", "so tien quy doi": "amount",
    "nhom": "group", "nhom doi tuong": "group", "doi tuong": "group",
    "loai tai khoan": "institution", "mo tai khoan tai": "institution", "noi mo": "institution",
    # Mẫu 21: students abroad
    "quyet dinh": "decision", "quyet dinh cu di hoc": "decision", "so quyet dinh": "decision",
    "nuoc": "country", "quoc gia": "country", "ma quoc gia": "country",
    "loai tien": "currency", "ngoai te": "currency", "loai ngoai te": "currency",
    "ma swift": "swift", "swift": "swift", "so tien ngoai te": "foreign_amount",
    "phi": "fee_type", "loai phi": "fee_type", "phi chuyen tien": "fee_type",
}
REQUIRED_COLUMNS = ("name", "account", "amount")

# Mẫu 20's group headings and a group column's values, normalised, to the list's group codes.
GROUP_NAMES: dict[str, str] = {
    "i": "civil_servant", "cong chuc": "civil_servant", "civil servant": "civil_servant",
    "ii": "public_employee", "vien chuc": "public_employee", "public employee": "public_employee",
    "iii": "contract_worker", "lao dong hop dong": "contract_worker", "hop dong": "contract_worker",
    "contract worker": "contract_worker",
    "iv": "other", "doi tuong khac": "other", "khac": "other", "other": "other",
}
_GROUP_HEADING = re.compile(r"(i|ii|iii|iv)(\s.*)?")
_SUBTOTAL = re.compile(r"(tong )?cong( nhom .*)?")   # "Cộng", "Cộng nhóm I", "Tổng cộng"
_PARENTHESISED = re.compile(r"\([^)]*\)")
_NOT_WORD = re.compile(r"[^0-9a-z]+")
_GROUPED_DIGITS = re.compile(r"[0-9]{1,3}([., \u00a0][0-9]{3})+")


def normalise(text: Any) -> str:
    """'Số tiền (đồng)' -> 'so tien'; 'HỌ VÀ TÊN' -> 'ho va ten': no case, no diacritics, no
    parenthesised unit, words separated by one space."""
    value = _PARENTHESISED.sub(" ", str(text or "")).replace("đ", "d").replace("Đ", "D")
    value = unicodedata.normalize("NFKD", value)
    value = "".join(c for c in value if not unicodedata.combining(c)).lower()
    return _NOT_WORD.sub(" ", value).strip()


def _column_of(header: Any) -> str | None:
    key = normalise(header)
    if key in HEADERS:
        return HEADERS[key]
    for known in sorted(HEADERS, key=len, reverse=True):   # "số tiền lương tháng 12" -> amount
        if len(known) > 3 and key.startswith(known + " "):
            return HEADERS[known]
    return None


def find_header(rows: Sequence[Sequence[Any]]) -> tuple[int, dict[int, str]] | None:
    """The header row's position and its columns (column index -> field), or None."""
    for at, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        columns: dict[int, str] = {}
        for i, cell in enumerate(row):
            field = _column_of(cell) if cell not in (None, "") else None
            if field is not None and field not in columns.values():
                columns[i] = field
        if all(f in columns.values() for f in REQUIRED_COLUMNS):
            return at, columns
    return None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)        # a spreadsheet keeps an account number typed in as a number
    return str(value).strip()


def _amount(value: Any) -> Any:
    """Whole đồng from a number cell or a text like '6.000.000'; anything else is passed on as
    it is, for the list's rules to refuse (`invalid_amount`, naming the line)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    text = _text(value)
    if text.isdigit():
        return int(text)
    if _GROUPED_DIGITS.fullmatch(text):
        return int(re.sub(r"[., \u00a0]", "", text))
    return text or None


def _institution(value: Any) -> str:
    key = normalise(value)
    if key in ("kho bac", "kbnn", "treasury") or key.startswith("kho bac"):
        return "treasury"
    if key in ("", "ngan hang", "nh", "bank") or key.startswith("ngan hang"):
        return "bank"
    return _text(value)             # refused by the list's rules: invalid_choice


def _group(value: Any) -> str:
    key = normalise(value)
    if key in GROUP_NAMES:
        return GROUP_NAMES[key]
    heading = _GROUP_HEADING.fullmatch(key)
    if heading:
        return GROUP_NAMES[heading.group(1)]
    return _text(value)             # refused by the list's rules: invalid_choice


def _line(cells: dict[str, Any], group: str) -> dict:
    line: dict[str, Any] = {}
    for field, value in cells.items():
        if field == "stt":
            continue
        if field == "amount":
            line["amount"] = _amount(value)
        elif field == "institution":
            line["institution"] = _institution(value)
        elif field == "group":
            line["group"] = _group(value) if _text(value) else group
        elif field == "bank_code":
            code = _text(value)
            # A bank code typed as a number loses its leading zero ("01201001" -> 1201001).
            line["bank_code"] = code.zfill(8) if code.isdigit() and len(code) < 8 else code
        elif field in ("country", "currency", "swift", "fee_type"):
            line[field] = _text(value).upper()
        else:
            line[field] = _text(value)
    line.setdefault("group", group)
    if line.get("institution") == "treasury" and not line.get("bank_code"):
        line.pop("bank_code", None)
    for optional in ("bank_code", "foreign_amount", "fee_type", "institution"):
        if line.get(optional) == "":
            del line[optional]
    return line


def lines_from_rows(rows: Iterable[Sequence[Any]], form: str = "20") -> dict:
    """The import's answer: every line as the list would carry it, every failing line's error
    (line = STT, 1-based; row = the file's row), the count, the total and Mẫu 20's group totals.
    Raises InvalidField for what makes the file itself unusable (no header, no line, too many)."""
    if form not in FORMS:
        raise InvalidField("Phải là 20 (Mẫu 20) hoặc 21 (Mẫu 21).", code="invalid_choice",
                           field="form")
    rows = list(rows)
    header = find_header(rows)
    if header is None:
        raise InvalidField("Không tìm thấy dòng tiêu đề có các cột Họ và tên, Số tài khoản, "
                           "Số tiền.", code="no_header_row", field="body")
    at, columns = header
    lines: list[dict] = []
    file_rows: list[int] = []
    group = "other"
    for number, row in enumerate(rows[at + 1:], start=at + 2):
        cells = {field: row[i] if i < len(row) else None for i, field in columns.items()}
        filled = {f: v for f, v in cells.items() if _text(v)}
        if not filled:
            continue
        name = normalise(cells.get("name"))
        # Mẫu 20 lays its groups out as heading rows ("I. Công chức") with subtotals ("Cộng").
        if not _text(cells.get("account")) and not _text(cells.get("amount")) and \
                (_GROUP_HEADING.fullmatch(name) or name in GROUP_NAMES):
            group = _group(cells.get("name"))
            continue
        if not _text(cells.get("account")) and _SUBTOTAL.fullmatch(normalise(
                cells.get("name") or cells.get("stt"))):
            continue
        if len(lines) == MAX_PAYEE_LINES:
            raise InvalidField(f"Danh sách tối đa {MAX_PAYEE_LINES:,} dòng.".replace(",", "."),
                               code="too_many_lines", field=f"{PATH}.lines")
        lines.append(_line(cells, group if form == "20" else "other"))
        file_rows.append(number)
    if not lines:
        raise InvalidField("Tệp không có dòng chi trả nào dưới dòng tiêu đề.", code="no_lines",
                           field=f"{PATH}.lines")
    errors = [_error(err, file_rows) for err in line_errors(lines, form)]
    amounts = [line["amount"] for line in lines if type(line.get("amount")) is int]
    group_totals: dict[str, int] = {}
    for line in lines:
        if type(line.get("amount")) is int:
            group_totals[line["group"]] = group_totals.get(line["group"], 0) + line["amount"]
    return {"form": form, "lines": lines, "errors": errors, "count": len(lines),
            "total": sum(amounts), "group_totals": group_totals}


_LINE_INDEX = re.compile(r"\.lines\[([0-9]+)\]")


def _error(err: InvalidField, file_rows: list[int]) -> dict:
    index = int(_LINE_INDEX.search(err.field or "").group(1))   # type: ignore[union-attr]
    return {"line": index + 1, "row": file_rows[index], "field": err.field, "code": err.code,
            "message": err.message}
