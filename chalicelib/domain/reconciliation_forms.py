"""The reconciliation forms of Decree 347/2025 (Mẫu 26-32), as plain dicts: what the unit sends,
what the treasury computes from its ledger for the same period, and the differences line by line.

347/2025 Art.10 cl.3 says which form serves which reconciliation: estimate accounts Mẫu 26/28
(withdrawal channel) or 27/29 (payment-order channel), carried-over deposit balances Mẫu 30,
carried-over tasks Mẫu 31, deposit accounts Mẫu 32. Closing an account (Art.9 cl.3 pt.b-d) takes
the same forms. The columns are numbered as the forms number them ("(6)" is key "6").

The treasury's ledger knows the account's movements and balance, not the estimate by budget code:
so it computes the columns that follow from them (`LEDGER_COLUMNS`) as the form's totals, and
each line the unit sends is held to the form's own formulas (e.g. Mẫu 26 (9)=(5)-(7)). Columns
the ledger cannot compute are carried as the unit states them and compared by the officer.

A form is a dict (the printable documents render it):
    {"form": "26", "symbol": "01a-SDKP/ĐVDT", "title": "...", "account_id": "...",
     "period": {"from": "YYYY-MM-DD", "to": "YYYY-MM-DD"}, "columns": ["1", ..., "9"],
     "rows": [{"label": str, "codes": {..}, "cells": {"1": int, ...}}, ...],
     "totals": {"1": int, ...}}
Pure: no AWS.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import InvalidField

MAX_ROWS = 500
MAX_AMOUNT = 10**15


@dataclass(frozen=True)
class FormSpec:
    number: str
    symbol: str
    title: str
    account_kinds: tuple[str, ...]
    columns: tuple[str, ...]
    ledger_columns: tuple[str, ...]
    # (result, plus, minus): each row must satisfy cells[result] = sum(plus) - sum(minus).
    formulas: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = ()
    fixed_rows: tuple[tuple[str, str], ...] = ()   # Mẫu 32's lines (key, label)


_ESTIMATE, _DEPOSIT = ("estimate",), ("deposit",)
FORMS: dict[str, FormSpec] = {s.number: s for s in (
    FormSpec("26", "01a-SDKP/ĐVDT", "Bảng đối chiếu dự toán kinh phí ngân sách bằng hình thức rút "
             "dự toán tại Kho bạc Nhà nước", _ESTIMATE, tuple("123456789"), ("6", "7", "9"),
             (("5", ("1", "4"), ()), ("9", ("5",), ("7",)))),
    FormSpec("27", "01b-SDKP/ĐVDT", "Bảng đối chiếu dự toán kinh phí ngân sách bằng hình thức lệnh "
             "chi tiền tại Kho bạc Nhà nước", _ESTIMATE, tuple("12345678"), ("6", "7", "8"),
             (("5", ("1", "4"), ()), ("8", ("5",), ("7",)))),
    FormSpec("28", "02a-SDKP/ĐVDT", "Bảng đối chiếu tình hình sử dụng kinh phí ngân sách bằng hình "
             "thức rút dự toán tại Kho bạc Nhà nước", _ESTIMATE, tuple("123456"), ("5", "6"),
             (("5", ("1", "3"), ()), ("6", ("2", "4"), ()))),
    FormSpec("29", "02b-SDKP/ĐVDT", "Bảng đối chiếu tình hình sử dụng kinh phí ngân sách bằng hình "
             "thức lệnh chi tiền tại Kho bạc Nhà nước", _ESTIMATE, tuple("123456"), ("5", "6"),
             (("5", ("1", "3"), ()), ("6", ("2", "4"), ()))),
    FormSpec("30", "03-SDKP/ĐVDT", "Bảng đối chiếu số dư tài khoản tiền gửi kinh phí ngân sách cấp "
             "của đơn vị được chuyển nguồn sang năm sau", _DEPOSIT, ("6",), ("6",)),
    FormSpec("31", "04-SDKP/ĐVDT", "Bảng đối chiếu tình hình thực hiện dự toán của các nhiệm vụ "
             "được chuyển nguồn sang năm sau", _ESTIMATE,
             ("5", "6", "7", "8", "9", "10", "11", "12", "13"), (),
             (("5", ("6", "7", "8", "9"), ()), ("12", ("5",), ("10", "11")))),
    FormSpec("32", "06-ĐCSDTK/KBNN", "Bảng xác nhận số dư tài khoản tiền gửi tại Kho bạc Nhà nước",
             _DEPOSIT, ("amount",), ("amount",),
             fixed_rows=(("opening", "Số dư đầu kỳ"), ("increase", "Phát sinh tăng trong kỳ"),
                         ("decrease", "Phát sinh giảm trong kỳ"), ("closing", "Số dư cuối kỳ"))),
)}
# 347/2025 Art.9 cl.3 pt.b-d: the forms a closing carries, by account kind and channel.
CLOSING_SETS = {"estimate": ({"27", "29"}, {"26", "28"}), "deposit": ({"32"},)}


@dataclass(frozen=True)
class LedgerFigures:
    """What the ledger knows of one account for a period: balances and movements (whole đồng).
    `debits_ytd`/`credits_ytd` run from 1 January of the period's year to its end."""
    opening: int
    debits: int
    credits: int
    closing: int
    debits_ytd: int
    credits_ytd: int


def _amount(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not -MAX_AMOUNT < value < MAX_AMOUNT:
        raise InvalidField("Số liệu phải là số nguyên đồng.", code="invalid_amount", field=field)
    return value


def parse(body: Any, field: str, account_kind: str) -> dict:
    """The unit's form as sent, checked: a known form for the account's kind, whole-đồng cells
    in the form's columns, each line true to the form's formulas. Returns the form's rows."""
    if not isinstance(body, dict):
        raise InvalidField("Thiếu bảng đối chiếu.", code="required", field=field)
    spec = FORMS.get(str(body.get("form")))
    if spec is None:
        raise InvalidField(f"Mẫu đối chiếu không hợp lệ (cho phép: {', '.join(FORMS)}).",
                           code="unknown_form", field=f"{field}.form")
    if account_kind not in spec.account_kinds:   # 347/2025 Art.10 cl.3
        raise InvalidField(f"Mẫu số {spec.number} không dùng cho loại tài khoản này.",
                           code="form_not_for_account", field=f"{field}.form")
    rows = body.get("rows")
    if not isinstance(rows, list) or not rows or len(rows) > MAX_ROWS:
        raise InvalidField(f"Bảng cần từ 1 đến {MAX_ROWS} dòng.", code="required",
                           field=f"{field}.rows")
    parsed: list[dict[str, Any]] = []
    for i, row in enumerate(rows):
        at = f"{field}.rows[{i}]"
        if not isinstance(row, dict) or not isinstance(row.get("cells"), dict):
            raise InvalidField("Dòng thiếu số liệu.", code="required", field=f"{at}.cells")
        unknown = set(row["cells"]) - set(spec.columns)
        if unknown:
            raise InvalidField(f"Cột không có trong mẫu: {sorted(unknown)[0]}.",
                               code="unknown_column", field=f"{at}.cells")
        cells = {c: _amount(row["cells"].get(c, 0), f"{at}.cells.{c}") for c in spec.columns}
        if spec.fixed_rows:
            keys = [k for k, _ in spec.fixed_rows]
            if row.get("line") not in keys:
                raise InvalidField(f"Dòng phải là một trong: {', '.join(keys)}.",
                                   code="unknown_line", field=f"{at}.line")
        for result, plus, minus in spec.formulas:
            expected = sum(cells[c] for c in plus) - sum(cells[c] for c in minus)
            if cells[result] != expected:
                raise InvalidField(f"Cột ({result}) phải bằng {expected}.", code="formula_broken",
                                   field=f"{at}.cells.{result}")
        codes: dict = row["codes"] if isinstance(row.get("codes"), dict) else {}
        parsed.append({"line": row.get("line"), "label": str(row.get("label") or "")[:200],
                       "codes": {str(k)[:40]: str(v)[:40] for k, v in list(codes.items())[:8]},
                       "cells": cells})
    if spec.fixed_rows:
        lines = [str(r["line"]) for r in parsed]
        if sorted(lines) != sorted(k for k, _ in spec.fixed_rows):
            raise InvalidField("Mẫu 32 cần đủ 4 dòng: đầu kỳ, tăng, giảm, cuối kỳ.",
                               code="lines_missing", field=f"{field}.rows")
        by: dict[str, int] = {r["line"]: r["cells"]["amount"] for r in parsed}
        if by["closing"] != by["opening"] + by["increase"] - by["decrease"]:
            raise InvalidField("Số dư cuối kỳ phải bằng đầu kỳ + tăng - giảm.",
                               code="formula_broken", field=f"{field}.rows")
    return {"form": spec.number, "rows": parsed}


def document(spec: FormSpec, account_id: str, period: dict, rows: list[dict]) -> dict:
    totals = {c: sum(r["cells"][c] for r in rows) for c in spec.columns} if not spec.fixed_rows \
        else {}
    return {"form": spec.number, "symbol": spec.symbol, "title": spec.title,
            "account_id": account_id, "period": dict(period), "columns": list(spec.columns),
            "rows": rows, "totals": totals}


def unit_form(parsed: dict, account_id: str, period: dict) -> dict:
    """The unit's parsed form as a document, with its totals."""
    return document(FORMS[parsed["form"]], account_id, period, parsed["rows"])


def treasury_form(number: str, account_id: str, period: dict, ledger: LedgerFigures) -> dict:
    """The same form computed from the ledger: Mẫu 32's four lines, or the totals of the columns
    the ledger knows (used = debits less what was paid back; remaining = the balance at the end)."""
    spec = FORMS[number]
    if spec.fixed_rows:
        amounts = {"opening": ledger.opening, "increase": ledger.credits,
                   "decrease": ledger.debits, "closing": ledger.closing}
        rows = [{"line": k, "label": label, "codes": {}, "cells": {"amount": amounts[k]}}
                for k, label in spec.fixed_rows]
        return document(spec, account_id, period, rows)
    known = {"26": {"6": ledger.debits - ledger.credits, "7": ledger.debits_ytd - ledger.credits_ytd,
                    "9": ledger.closing},
             "27": {"6": ledger.debits - ledger.credits, "7": ledger.debits_ytd - ledger.credits_ytd,
                    "8": ledger.closing},
             "28": {"5": ledger.debits - ledger.credits, "6": ledger.debits_ytd - ledger.credits_ytd},
             "29": {"5": ledger.debits - ledger.credits, "6": ledger.debits_ytd - ledger.credits_ytd},
             "30": {"6": ledger.closing}, "31": {}}[number]
    form = document(spec, account_id, period, [])
    form["totals"] = {c: known[c] for c in spec.ledger_columns}
    return form


def differences(unit: dict, treasury: dict) -> list[dict]:
    """Line by line, where the unit's figure is not the treasury's: Mẫu 32 per line, the other
    forms per total column the ledger computes. Empty: the figures match; otherwise the form is
    returned confirming the mismatch with these lines (347/2025 Art.10 cl.2 pt.c)."""
    spec = FORMS[unit["form"]]
    found = []
    if spec.fixed_rows:
        theirs = {r["line"]: r["cells"]["amount"] for r in treasury["rows"]}
        for i, row in enumerate(unit["rows"]):
            mine = row["cells"]["amount"]
            if mine != theirs[row["line"]]:
                found.append({"field": f"rows[{i}].cells.amount", "line": row["line"],
                              "unit": mine, "treasury": theirs[row["line"]],
                              "difference": mine - theirs[row["line"]]})
        return found
    for column in spec.ledger_columns:
        mine, theirs_ = unit["totals"][column], treasury["totals"][column]
        if mine != theirs_:
            found.append({"field": f"totals.{column}", "line": "total", "column": column,
                          "unit": mine, "treasury": theirs_, "difference": mine - theirs_})
    return found
