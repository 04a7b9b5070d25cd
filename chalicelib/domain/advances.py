"""Advances (tạm ứng) and their settlement (thanh toán tạm ứng) as Decree 347/2025 Art.6 cl.2
has them: pure rules, no AWS.

- The advance rate is the one the contract or decision declared on the voucher states (pt.b 4th
  paragraph): no fixed share of the contract. A decision (Quyết định hỗ trợ/trợ cấp/đặt hàng/giao
  nhiệm vụ) stands in for a contract.
- A settlement converts the advance into payment (pt.e): above the advance, the whole advance
  converts and the difference is paid out (the transfer voucher's debit, carried on the settlement
  voucher as `difference_to_pay`); below it, the accepted amount converts and the rest stays open
  to recover or to settle at the next payment; equal, it converts.
- A settlement may use any sub-item (tiểu mục) in the same group of items (nhóm mục) as the advance
  (pt.b 3rd paragraph).
- Advances still open when the year's adjustment period (thời gian chỉnh lý quyết toán) ends are
  handled under Law 89/2025 Art.66 (pt.e last paragraph): the register flags them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from .budget_year import adjustment_period_end  # 31 January of the next year
from .errors import InvalidField

# 347/2025 Art.6 cl.2 pt.b 4th para: a decision may stand in for a contract.
AGREEMENT_KINDS = ("contract", "support_decision", "subsidy_decision", "order_decision",
                   "assignment_decision")
_RATE = re.compile(r"(100|[0-9]{1,2})(\.[0-9]{1,2})?")   # a percentage, as text: never a float
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
MAX_AMOUNT = 10**15


@dataclass(frozen=True)
class Agreement:
    """The contract or decision declared on the voucher (`voucher.contract`)."""
    kind: str
    number: str
    value: int
    advance_rate_basis_points: int | None = None   # 30.5% → 3050
    advance_amount: int | None = None

    def advance_limit(self) -> int | None:
        """The most the contract or decision lets the unit draw in advance (both declared: the
        smaller), or None when it states no advance."""
        limits = [a for a in (self.advance_amount,
                              None if self.advance_rate_basis_points is None
                              else self.value * self.advance_rate_basis_points // 10_000)
                  if a is not None]
        return min(limits) if limits else None


def _vnd(amount: int) -> str:
    return f"{amount:,}".replace(",", ".") + " đồng"


def _fail(field: str, message: str, code: str) -> InvalidField:
    return InvalidField(message, code=code, field=field)


def _amount(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(field, "Số tiền phải là số nguyên đồng.", "invalid_amount")
    if value <= 0 or value >= MAX_AMOUNT:
        raise _fail(field, "Số tiền phải lớn hơn 0 và trong giới hạn cho phép.", "invalid_amount")
    return value


def _text(obj: dict, key: str, path: str, max_len: int = 50) -> str:
    value = obj.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _fail(f"{path}.{key}", "Thiếu thông tin bắt buộc.", "required")
    if not isinstance(value, str):
        raise _fail(f"{path}.{key}", "Phải là chuỗi ký tự.", "invalid_type")
    if len(value.strip()) > max_len:
        raise _fail(f"{path}.{key}", f"Dài quá {max_len} ký tự.", "too_long")
    return value.strip()


def rate_basis_points(value: Any, field: str) -> int:
    """An advance rate in percent (an integer, or text with up to two decimals: "30.5"), as
    basis points; 0 < rate ≤ 100."""
    if isinstance(value, int) and not isinstance(value, bool):
        text = str(value)
    elif isinstance(value, str):
        text = value.strip()
    else:
        raise _fail(field, "Tỷ lệ tạm ứng phải là số phần trăm (số nguyên hoặc chuỗi số).",
                    "invalid_type")
    if not _RATE.fullmatch(text):
        raise _fail(field, "Tỷ lệ tạm ứng phải từ 0 đến 100, tối đa 2 chữ số thập phân.",
                    "invalid_format")
    whole, _, cents = text.partition(".")
    points = int(whole) * 100 + int((cents + "00")[:2])
    if not 0 < points <= 10_000:
        raise _fail(field, "Tỷ lệ tạm ứng phải lớn hơn 0 và không quá 100%.", "invalid_format")
    return points


def parse_agreement(raw: Any, path: str) -> Agreement:
    """`voucher.contract`: {kind?, number, date, value, advance_rate_percent?, advance_amount?}."""
    if not isinstance(raw, dict):
        raise _fail(path, "Phải là một đối tượng JSON.", "invalid_type")
    kind = raw.get("kind", "contract")
    if kind not in AGREEMENT_KINDS:
        raise _fail(f"{path}.kind", f"Phải là một trong: {', '.join(AGREEMENT_KINDS)}.",
                    "invalid_choice")
    number = _text(raw, "number", path)
    if not _DATE.fullmatch(_text(raw, "date", path)):
        raise _fail(f"{path}.date", "Sai định dạng: YYYY-MM-DD.", "invalid_format")
    value = _amount(raw.get("value"), f"{path}.value")
    rate = raw.get("advance_rate_percent")
    points = None if rate is None else rate_basis_points(rate, f"{path}.advance_rate_percent")
    amount = raw.get("advance_amount")
    if amount is not None:
        amount = _amount(amount, f"{path}.advance_amount")
        if amount > value:
            raise _fail(f"{path}.advance_amount", "Số tạm ứng theo hợp đồng vượt giá trị hợp đồng.",
                        "advance_over_limit")
    return Agreement(kind, number, value, points, amount)


def check_advance(total: int, agreement: Agreement, path: str) -> None:
    """347/2025 Art.6 cl.2 pt.b 4th para: the advance follows the rate the contract or decision
    states; one that states none allows no advance."""
    limit = agreement.advance_limit()
    if limit is None:
        raise _fail(f"{path}.contract.advance_rate_percent",
                    "Hợp đồng/quyết định phải ghi mức tạm ứng (tỷ lệ hoặc số tiền).",
                    "advance_rate_required")
    if total > limit:
        raise _fail(f"{path}.total", f"Tạm ứng vượt mức hợp đồng/quyết định quy định "
                    f"({_vnd(limit)}).", "advance_over_limit")


# --- settlement ---------------------------------------------------------------------------------

OVER_ADVANCE, DIFFERENCE_MISMATCH = "over_advance", "settlement_difference_mismatch"


def settlement_problem(total: int, difference: int, left: int, *,
                       at_posting: bool = False) -> tuple[str, str] | None:
    """(code, message) when the settlement does not fit pt.e, else None.

    At submission the difference must be exactly what the settlement exceeds the advance by
    (none when it does not exceed it). At posting only "the converted part still fits what is
    open" is checked: a rival settlement refused meanwhile leaves more open, which is harmless."""
    converted = total - difference
    if converted > left and not difference:
        return (OVER_ADVANCE, f"Vượt số tạm ứng còn lại ({_vnd(left)}): phần vượt kê khai là số "
                              "chênh lệch phải thanh toán (difference_to_pay).")
    if converted > left:
        return (OVER_ADVANCE, f"Vượt số tạm ứng còn lại ({_vnd(left)}).")
    if not at_posting and difference and converted != left:
        return (DIFFERENCE_MISMATCH, "Số chênh lệch phải bằng số đề nghị thanh toán trừ số tạm ứng "
                                     f"còn lại ({_vnd(max(0, total - left))}).")
    return None


# 347/2025 Art.6 cl.2 pt.b 3rd para: groups of items (nhóm mục) of regular spending, as ranges of
# sub-item codes (Circular 324/2016/TT-BTC, its tiểu nhóm mục of regular spending). Assumption:
# the decree's "nhóm mục" is the Circular's sub-group (tiểu nhóm); the full table comes with the
# Ministry's catalogue in production.
ITEM_GROUPS: tuple[tuple[str, str, int, int], ...] = (
    ("0129", "Chi thanh toán cho cá nhân", 6000, 6499),
    ("0130", "Chi về hàng hóa, dịch vụ", 6500, 7099),
    ("0131", "Chi hỗ trợ và bổ sung", 7100, 7499),
    ("0132", "Các khoản chi khác", 7500, 7999),
)


def item_group(economic_code: str) -> str | None:
    """The group of items (nhóm mục) a sub-item code belongs to, or None if outside the table."""
    if not economic_code.isdigit():
        return None
    code = int(economic_code)
    return next((g for g, _, low, high in ITEM_GROUPS if low <= code <= high), None)


def line_outside_advance_groups(settlement_codes: list[str], advance_codes: list[str]) -> int | None:
    """The index of the first settlement line whose sub-item is not in a group of the advance's
    sub-items (347/2025 Art.6 cl.2 pt.b 3rd para), else None."""
    groups = {item_group(c) or c for c in advance_codes}
    for i, code in enumerate(settlement_codes):
        if (item_group(code) or code) not in groups:
            return i
    return None


# --- the register -------------------------------------------------------------------------------

def past_adjustment_period(budget_year: int, today: date) -> bool:
    """347/2025 Art.6 cl.2 pt.e last para: still open after the adjustment period ends."""
    return today > adjustment_period_end(budget_year)
