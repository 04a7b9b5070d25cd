"""POST /v1/payee-lists/import: the payee list the accounting software exported (CSV or .xlsx)
read into the lines a payroll voucher carries, every failing line named at once. Nothing is
stored: the unit's own users get back what they will sign (domain/payee_import.py maps it; the
lines are checked as 347/2025 Art.6 cl.2 pt.b asks at submission).

openpyxl reads .xlsx (a well-kept reader of the format; read-only mode streams the sheet) and is
imported here, on first use, so the cold start of every other route does not pay for it.
"""
from __future__ import annotations

import csv
import io
from typing import Any

from ..domain.errors import InvalidField, PayloadTooLarge, UnsupportedMediaType
from ..domain.payee_import import lines_from_rows
from ..domain.payee_list import MAX_PAYEE_LINES
from .authz import require

CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_IMPORT_BYTES = 2 * 1024 * 1024   # 5,000 lines are ~0.5 MB of CSV, ~0.3 MB of .xlsx
# Rows read at most: the lines, a title block, Mẫu 20's group headings and subtotals, and one
# more line so that a list one line too long is refused as such.
MAX_ROWS = MAX_PAYEE_LINES + 200


def import_list(principal: Any, body: bytes, content_type: str | None, form: str | None) -> dict:
    """The file's lines, errors (each naming its line and field), count, total and group totals.
    The body's size is judged first, as every route's body is at the edge; then the policy (a
    refused caller gets its 403 whatever it sent), then what the file is."""
    if len(body) > MAX_IMPORT_BYTES:
        raise PayloadTooLarge(f"Tệp quá lớn (tối đa {MAX_IMPORT_BYTES // (1024 * 1024)} MB).",
                              field="body")
    require(principal, "payee_list.import")
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind not in (CSV, XLSX):
        raise UnsupportedMediaType(field="Content-Type")
    if not body:
        raise InvalidField("Tệp rỗng.", code="unreadable_file", field="body")
    rows = _xlsx_rows(body) if kind == XLSX else _csv_rows(body)
    return lines_from_rows(rows, form or "20")


def _csv_rows(body: bytes) -> list[list[str]]:
    try:
        text = body.decode("utf-8-sig")     # Excel writes a BOM before UTF-8 CSV
    except UnicodeDecodeError as exc:
        raise InvalidField("Tệp CSV phải được lưu với bảng mã UTF-8.", code="unreadable_file",
                           field="body") from exc
    sample = text[:4096]
    # Vietnamese Excel writes ";" between cells (the decimal comma takes ",").
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    rows = []
    for row in csv.reader(io.StringIO(text), delimiter=delimiter):
        rows.append(row)
        if len(rows) > MAX_ROWS:
            break
    return rows


def _xlsx_rows(body: bytes) -> list[tuple]:
    import openpyxl
    try:
        book = openpyxl.load_workbook(io.BytesIO(body), read_only=True, data_only=True)
        try:
            sheet = book.worksheets[0]   # the export's list is its first sheet
            rows = []
            for row in sheet.iter_rows(values_only=True):
                rows.append(row)
                if len(rows) > MAX_ROWS:
                    break
            return rows
        finally:
            book.close()
    # A damaged or foreign file fails inside zipfile, the XML parser or openpyxl in many ways;
    # each is the unit's file being unreadable, never a server error.
    except Exception as exc:
        raise InvalidField("Không đọc được tệp Excel (.xlsx).", code="unreadable_file",
                           field="body") from exc
