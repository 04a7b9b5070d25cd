"""Which budget years a payment may still be charged to, on a given day.

A budget year runs with the calendar year, and its spending may still be paid until its
adjustment period (thời gian chỉnh lý quyết toán) ends on 31 January of the next year: Decree
347/2025 Art. 15 cl. 1 pt. a keeps Decree 11/2020's procedure for "the spending of budget year
2025 until the end of 31 January 2026", the same date the budget law sets for every year's
adjustment period. So on any day one or two budget years are open: the current one, and in
January the previous one too. A voucher for a year that has not begun (its estimate is not in
force) or whose adjustment period is over is refused at receipt, naming the field.

The day is the office's local day, read from the product's clock by the caller.
"""
from __future__ import annotations

from datetime import date

from .errors import InvalidField

# Law 89/2025 (and 347/2025 Art. 15 cl. 1 pt. a for 2025): a year's spending closes on
# 31 January of the following year.
ADJUSTMENT_PERIOD_END = (1, 31)     # (month, day) of the following year


def adjustment_period_end(year: int) -> date:
    """The last day on which budget year `year`'s spending may still be paid."""
    month, day = ADJUSTMENT_PERIOD_END
    return date(year + 1, month, day)


def open_years(today: date) -> tuple[int, ...]:
    """The budget years a payment received on `today` may be charged to, oldest first."""
    if today <= adjustment_period_end(today.year - 1):
        return (today.year - 1, today.year)
    return (today.year,)


def require_open(year: int, today: date, field: str) -> None:
    """Refuse a budget year not open on `today`: one past its adjustment period (347/2025
    Art.15 cl.1 pt.a), or one not yet begun, whose estimate is not in force (347/2025 Art.16 cl.1
    applies the decree from a budget year, the year the estimate is for)."""
    if year in open_years(today):
        return
    if year > today.year:
        raise InvalidField(f"Năm ngân sách {year} chưa bắt đầu; chỉ nhận chứng từ năm "
                           f"{_listed(open_years(today))}.", code="budget_year_not_open", field=field)
    closed = adjustment_period_end(year)
    raise InvalidField(f"Năm ngân sách {year} đã hết thời gian chỉnh lý quyết toán "
                       f"(ngày {closed:%d/%m/%Y}); chỉ nhận chứng từ năm {_listed(open_years(today))}.",
                       code="budget_year_closed", field=field)


def _listed(years: tuple[int, ...]) -> str:
    return " hoặc ".join(str(y) for y in years)
