"""The three budget forms of Decree 347/2025 Art. 6 that are not payments: the request for a
temporary allocation of the estimate (Giấy đề nghị tạm cấp dự toán ngân sách, Mẫu 22), the return
of funds (Giấy nộp trả kinh phí, Mẫu 08) and the request to adjust budget figures (Giấy đề nghị
điều chỉnh số liệu ngân sách, Mẫu 09) — their fields, their rules and their confirmed copies.

Pure: parsing and rules only, so they are tested without AWS. Each form is parsed from the signed
content; every failure names the JSON path of the offending field, as voucher.py does. The
result the unit receives for each is the form itself with the treasury's part filled in
(Art. 6 cl. 2 pt. i, cl. 8 pt. a): `confirmed_form()`.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

from .budget_year import adjustment_period_end  # 31 January of the next year
from .errors import InvalidField
from .voucher import ACCOUNT_ID
from .voucher import read_amount as _amount
from .voucher import read_choice as _choice
from .voucher import read_object as _obj
from .voucher import read_optional_text as _optional_text
from .voucher import read_text as _text

_UNIT_CODE = re.compile(r"[0-9]{7}")
_CHAPTER = re.compile(r"[0-9]{3}")
_ECONOMIC = re.compile(r"[0-9]{4}")
_SECTOR = re.compile(r"[0-9]{3}")
_SOURCE = re.compile(r"[0-9]{2}")
_AREA = re.compile(r"[0-9]{5}")
_PROGRAM = re.compile(r"[0-9]{5}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
MAX_FORM_LINES = 200

TEMPORARY_ALLOCATION = "temporary_allocation"   # the content kind and the procedure of Mẫu 22

# Art. 6 cl. 2 pt. g: what the treasury does with returned funds.
REDUCE_SPENDING = "reduce_spending"     # thu hồi giảm chi NSNN (the year not yet settled)
BUDGET_REVENUE = "budget_revenue"       # thu hồi nộp NSNN (the year already settled)
TREATMENT_LABELS = {REDUCE_SPENDING: "Nộp giảm chi ngân sách nhà nước",
                    BUDGET_REVENUE: "Nộp trả kinh phí khi đã quyết toán ngân sách"}


def _fail(field: str, message: str, code: str) -> InvalidField:
    return InvalidField(message, code=code, field=field)


def _year(obj: dict, key: str, path: str) -> int:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not 2000 <= value <= 2100:
        raise _fail(f"{path}.{key}", "Năm ngân sách không hợp lệ.", "invalid_format")
    return value


def _lines(obj: dict, path: str, parse_line: Any) -> tuple:
    raw = obj.get("lines")
    if not isinstance(raw, list) or not raw:
        raise _fail(f"{path}.lines", "Phải có ít nhất một dòng.", "required")
    if len(raw) > MAX_FORM_LINES:
        raise _fail(f"{path}.lines", f"Tối đa {MAX_FORM_LINES} dòng.", "too_long")
    return tuple(parse_line(item, f"{path}.lines[{i}]") for i, item in enumerate(raw))


def _total(obj: dict, path: str, amounts: list[int]) -> int:
    total = _amount(obj.get("total"), f"{path}.total")
    if sum(amounts) != total:
        raise _fail(f"{path}.total", "Tổng số tiền không khớp với tổng các dòng.", "total_mismatch")
    return total


# --- Mẫu 22: temporary allocation of the estimate -------------------------------------------

@dataclass(frozen=True)
class AllocationLine:
    content: str
    sector_code: str
    source_code: str
    amount: int


@dataclass(frozen=True)
class AllocationRequest:
    """Giấy đề nghị tạm cấp dự toán ngân sách (Mẫu 22, ký hiệu C6-13/NS)."""
    number: str
    budget_year: int
    unit_code: str
    chapter_code: str
    account: str
    basis_year: int              # "Căn cứ số chi dự toán thường xuyên ngân sách … năm …"
    annual_estimate: int         # that year's regular-spending estimate
    monthly_average: int         # "… bình quân một tháng"
    lines: tuple[AllocationLine, ...]
    total: int


def _allocation_line(raw: Any, path: str) -> AllocationLine:
    obj = _obj(raw, path)
    return AllocationLine(
        content=_text(obj, "content", path),
        sector_code=_text(obj, "sector_code", path, pattern=_SECTOR, shape="3 chữ số"),
        source_code=_text(obj, "source_code", path, pattern=_SOURCE, shape="2 chữ số"),
        amount=_amount(obj.get("amount"), f"{path}.amount"))


def parse_allocation_request(raw: Any, path: str = "content.allocation_request") -> AllocationRequest:
    """347/2025 Art.6 cl.3 pt.d: the dossier of a temporary allocation is Mẫu 22."""
    obj = _obj(raw, path)
    number = _text(obj, "number", path, max_len=30)
    year = _year(obj, "budget_year", path)
    unit_path = f"{path}.unit"
    unit = _obj(obj.get("unit"), unit_path)
    unit_code = _text(unit, "unit_code", unit_path, pattern=_UNIT_CODE, shape="7 chữ số")
    chapter = _text(unit, "chapter_code", unit_path, pattern=_CHAPTER, shape="3 chữ số")
    account = _text(unit, "account", unit_path, pattern=ACCOUNT_ID, shape="số tài khoản")
    basis_path = f"{path}.basis"
    basis = _obj(obj.get("basis"), basis_path)
    basis_year = _year(basis, "estimate_year", basis_path)
    if basis_year >= year:
        raise _fail(f"{basis_path}.estimate_year",
                    "Căn cứ là dự toán của năm trước năm đề nghị tạm cấp.", "invalid_basis_year")
    annual = _amount(basis.get("annual_estimate"), f"{basis_path}.annual_estimate")
    monthly = _amount(basis.get("monthly_average"), f"{basis_path}.monthly_average")
    if monthly > annual:
        raise _fail(f"{basis_path}.monthly_average",
                    "Số chi bình quân một tháng không thể lớn hơn dự toán cả năm.", "invalid_basis")
    lines = _lines(obj, path, _allocation_line)
    total = _total(obj, path, [line.amount for line in lines])
    return AllocationRequest(number, year, unit_code, chapter, account, basis_year, annual,
                             monthly, lines, total)


def spendable(balance: int, reserved: int, temporary_allocation: int) -> int:
    """347/2025 Art.6 cl.3 pt.d: what an estimate account may spend — its balance, less what
    payments sent to the ledger hold, plus what the treasury allocated temporarily while the
    year's estimate is not yet approved."""
    return balance - reserved + temporary_allocation


# --- Mẫu 08: return of funds --------------------------------------------------------------

@dataclass(frozen=True)
class ReturnLine:
    content: str
    economic_code: str
    chapter_code: str
    sector_code: str
    source_code: str
    estimate_year: int
    amount: int


@dataclass(frozen=True)
class ReturnForm:
    """Giấy nộp trả kinh phí (Mẫu 08, ký hiệu C2-05a/NS)."""
    returned_from: str           # "advance" (đã tạm ứng) or "actual" (thực chi)
    decision_number: str | None  # "Trường hợp nộp theo kết luận của cơ quan có thẩm quyền"
    decision_date: str | None
    area_code: str | None        # Mã địa bàn hành chính
    project_code: str | None
    program_code: str | None
    lines: tuple[ReturnLine, ...]
    total: int

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(sorted({line.estimate_year for line in self.lines}))


def _return_line(raw: Any, path: str) -> ReturnLine:
    obj = _obj(raw, path)
    return ReturnLine(
        content=_text(obj, "content", path),
        economic_code=_text(obj, "economic_code", path, pattern=_ECONOMIC, shape="4 chữ số"),
        chapter_code=_text(obj, "chapter_code", path, pattern=_CHAPTER, shape="3 chữ số"),
        sector_code=_text(obj, "sector_code", path, pattern=_SECTOR, shape="3 chữ số"),
        source_code=_text(obj, "source_code", path, pattern=_SOURCE, shape="2 chữ số"),
        estimate_year=_year(obj, "estimate_year", path),
        amount=_amount(obj.get("amount"), f"{path}.amount"))


def _coded(obj: dict, key: str, path: str, pattern: re.Pattern, shape: str) -> str | None:
    block = obj.get(key)
    if block is None:
        return None
    block = _obj(block, f"{path}.{key}")
    _text(block, "name", f"{path}.{key}")
    return _text(block, "code", f"{path}.{key}", pattern=pattern, shape=shape)


def parse_return_form(raw: Any, *, voucher_total: int,
                      path: str = "content.return_form") -> ReturnForm:
    """347/2025 Art.6 cl.3 pt.đ: the dossier of a return of funds is Mẫu 08; its lines add up to
    its total, which is the voucher's."""
    obj = _obj(raw, path)
    returned_from = _choice(obj, "returned_from", path, ("advance", "actual"))
    decision_number = decision_date = None
    if obj.get("decision") is not None:
        d_path = f"{path}.decision"
        decision = _obj(obj.get("decision"), d_path)
        decision_number = _text(decision, "number", d_path, max_len=50)
        decision_date = _text(decision, "date", d_path, pattern=_DATE, shape="YYYY-MM-DD")
    area = _optional_text(obj, "area_code", path, pattern=_AREA, shape="5 chữ số")
    project = _coded(obj, "project", path, _UNIT_CODE, "7 chữ số")
    program = _coded(obj, "program", path, _PROGRAM, "5 chữ số")
    lines = _lines(obj, path, _return_line)
    total = _total(obj, path, [line.amount for line in lines])
    if total != voucher_total:
        raise _fail(f"{path}.total", "Tổng số tiền nộp trả phải bằng tổng số tiền trên chứng từ.",
                    "form_total_mismatch")
    return ReturnForm(returned_from, decision_number, decision_date, area, project, program,
                      lines, total)


def year_settled(budget_year: int, today: date) -> bool:
    """Whether the budget year is settled (đã quyết toán) as far as the treasury knows: after its
    adjustment period. Assumed — no settlement record reaches this system."""
    return today > adjustment_period_end(budget_year)


def return_treatment(form: ReturnForm, today: date, path: str = "content.return_form") -> str:
    """347/2025 Art.6 cl.2 pt.g: returned funds reduce the year's spending if the year is not
    settled yet (thu hồi giảm chi), or are collected to the budget if it is (thu hồi nộp NSNN).
    A form mixing a settled year with an open one would be both: refused, one form per kind."""
    treatments = {BUDGET_REVENUE if year_settled(y, today) else REDUCE_SPENDING
                  for y in form.years}
    if len(treatments) > 1:
        raise _fail(f"{path}.lines", "Lập giấy nộp trả riêng cho năm đã quyết toán và năm chưa "
                    "quyết toán.", "mixed_settled_years")
    return treatments.pop()


def return_balance_effect(treatment: str) -> int:
    """What the return does to the estimate account: money returned before settlement goes back
    into the year's estimate (a credit); after settlement it is budget revenue and the closed
    year's estimate is not restored (recorded only)."""
    return +1 if treatment == REDUCE_SPENDING else 0


# --- Mẫu 09: adjustment of budget figures -------------------------------------------------

@dataclass(frozen=True)
class AdjustmentRow:
    accounting_date: str | None
    voucher_number: str | None
    description: str
    estimate_year: int
    accounting_account: str | None
    advance_or_actual: str       # Tạm ứng / Thực chi
    economic_code: str
    budget_level_code: str | None
    unit_code: str | None
    area_code: str | None
    chapter_code: str
    sector_code: str
    program_code: str | None
    source_code: str
    reserve_code: str | None
    side: str                    # Nợ / Có
    amount: int

    @property
    def codes(self) -> tuple[str, str, str]:
        return (self.economic_code, self.sector_code, self.source_code)


@dataclass(frozen=True)
class AdjustmentForm:
    """Giấy đề nghị điều chỉnh số liệu ngân sách (Mẫu 09, ký hiệu C2-10/NS)."""
    reason: str
    recorded: tuple[AdjustmentRow, ...]    # "Số liệu đã hạch toán"
    proposed: tuple[AdjustmentRow, ...]    # "Số liệu đề nghị điều chỉnh"


def _row(raw: Any, path: str) -> AdjustmentRow:
    obj = _obj(raw, path)
    return AdjustmentRow(
        accounting_date=_optional_text(obj, "accounting_date", path, pattern=_DATE,
                                       shape="YYYY-MM-DD"),
        voucher_number=_optional_text(obj, "voucher_number", path, max_len=30),
        description=_text(obj, "description", path),
        estimate_year=_year(obj, "estimate_year", path),
        accounting_account=_optional_text(obj, "accounting_account", path, max_len=10),
        advance_or_actual=_choice(obj, "advance_or_actual", path, ("advance", "actual")),
        economic_code=_text(obj, "economic_code", path, pattern=_ECONOMIC, shape="4 chữ số"),
        budget_level_code=_optional_text(obj, "budget_level_code", path, max_len=2),
        unit_code=_optional_text(obj, "unit_code", path, pattern=_UNIT_CODE, shape="7 chữ số"),
        area_code=_optional_text(obj, "area_code", path, pattern=_AREA, shape="5 chữ số"),
        chapter_code=_text(obj, "chapter_code", path, pattern=_CHAPTER, shape="3 chữ số"),
        sector_code=_text(obj, "sector_code", path, pattern=_SECTOR, shape="3 chữ số"),
        program_code=_optional_text(obj, "program_code", path, max_len=20),
        source_code=_text(obj, "source_code", path, pattern=_SOURCE, shape="2 chữ số"),
        reserve_code=_optional_text(obj, "reserve_code", path, max_len=10),
        side=_choice(obj, "side", path, ("debit", "credit")),
        amount=_amount(obj.get("amount"), f"{path}.amount"))


def _rows(obj: dict, key: str, path: str) -> tuple[AdjustmentRow, ...]:
    raw = obj.get(key)
    if not isinstance(raw, list) or not raw:
        raise _fail(f"{path}.{key}", "Phải có ít nhất một dòng.", "required")
    if len(raw) > MAX_FORM_LINES:
        raise _fail(f"{path}.{key}", f"Tối đa {MAX_FORM_LINES} dòng.", "too_long")
    return tuple(_row(item, f"{path}.{key}[{i}]") for i, item in enumerate(raw))


def parse_adjustment_form(raw: Any, path: str = "content.adjustment_form") -> AdjustmentForm:
    """347/2025 Art.6 cl.3 pt.e: the dossier of an adjustment of budget figures is Mẫu 09."""
    obj = _obj(raw, path)
    reason = _text(obj, "reason", path, max_len=500)
    return AdjustmentForm(reason, _rows(obj, "recorded", path), _rows(obj, "proposed", path))


def check_adjustment(form: AdjustmentForm, *, voucher_total: int, paid_lines: list[dict],
                     path: str = "content.adjustment_form") -> None:
    """347/2025 Art.6 cl.2 pt.h: the adjustment stays within the estimate and matches what the
    treasury paid. The recorded rows are exactly the paid voucher's lines (codes and amounts);
    the proposed rows move the same total, so the estimate used is unchanged. Raises the first
    problem, naming the rows."""
    recorded = sum(r.amount for r in form.recorded)
    proposed = sum(r.amount for r in form.proposed)
    paid: Counter[tuple] = Counter()
    for line in paid_lines:
        paid[(line.get("economic_code"), line.get("sector_code"), line.get("source_code"))] += \
            int(line.get("amount") or 0)
    claimed: Counter[tuple] = Counter()
    for row in form.recorded:
        claimed[row.codes] += row.amount
    if recorded != voucher_total or +claimed != +paid:
        raise _fail(f"{path}.recorded", "Số liệu đã hạch toán không khớp với khoản chi Kho bạc "
                    "đã thanh toán (mã và số tiền).", "adjustment_recorded_mismatch")
    if proposed != recorded:
        raise _fail(f"{path}.proposed", "Số liệu đề nghị điều chỉnh phải giữ nguyên tổng số tiền "
                    "đã hạch toán (trong phạm vi dự toán được giao).", "adjustment_outside_estimate")


# --- the confirmed forms (347/2025 Art.6 cl.2 pt.i) ---------------------------------------

def confirmed_form(form: str, signed: dict, *, confirmation: dict, treatment: str | None = None
                   ) -> dict:
    """The form the unit signed, with the treasury's part (PHẦN KHO BẠC NHÀ NƯỚC GHI): the
    confirmation's number, date and ledger reference, and for a return how the funds were
    treated. `form`: "22", "08" or "09"."""
    names = {"22": ("Giấy đề nghị tạm cấp dự toán ngân sách", "C6-13/NS"),
             "08": ("Giấy nộp trả kinh phí", "C2-05a/NS"),
             "09": ("Giấy đề nghị điều chỉnh số liệu ngân sách", "C2-10/NS")}
    name_vi, symbol = names[form]
    treasury = {"confirmed": True, "number": confirmation.get("number"),
                "confirmed_at": confirmation.get("posted_at") or confirmation.get("confirmed_at"),
                "ledger_reference": confirmation.get("ledger_reference"),
                "amount": confirmation.get("amount")}
    if treatment is not None:
        treasury["treatment"] = treatment
        treasury["treatment_vi"] = TREATMENT_LABELS[treatment]
    return {"form": f"Mẫu số {form}", "symbol": symbol, "name_vi": name_vi, "signed": signed,
            "treasury": treasury}
