"""The checks a control officer does by hand on a payment, run automatically and shown as a
checklist (pass/fail per item, with the figures). They inform the officer's decision; they do
not make it — a failed check is a reason to refuse or ask for a supplement, with a human saying so.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .voucher import ADVANCE_SHARE_LIMIT, Voucher, grouped, vnd


@dataclass(frozen=True)
class Check:
    code: str
    label_vi: str
    passed: bool
    detail: str

    def public(self) -> dict:
        return {"code": self.code, "label_vi": self.label_vi, "passed": self.passed,
                "detail": self.detail}


@lru_cache(maxsize=1)
def economic_codes() -> dict[str, str]:
    data = json.loads((Path(__file__).parent / "data" / "economic_codes.json").read_text("utf-8"))
    return data["codes"]


def payment_checks(voucher: Voucher, *, balance: int | None, paid_under_contract: int) -> list[Check]:
    """`balance`: the account's available balance now (None if the account is gone);
    `paid_under_contract`: what this unit has already been paid under the same contract."""
    lines_total = sum(line.amount for line in voucher.lines)
    unknown = [line.economic_code for line in voucher.lines
               if line.economic_code not in economic_codes()]
    checks = [
        Check("lines_sum_to_total", "Tổng các dòng khớp tổng số tiền",
              lines_total == voucher.total, f"{grouped(lines_total)} / {vnd(voucher.total)}"),
        Check("economic_codes_known", "Mã nội dung kinh tế có trong mục lục NSNN", not unknown,
              "mã không có trong mục lục: " + ", ".join(unknown) if unknown else
              ", ".join(f"{line.economic_code} {economic_codes()[line.economic_code]}"
                        for line in voucher.lines)),
    ]
    if voucher.budget_payment is not None:
        checks.append(split_check(voucher))
    if voucher.kind.balance_effect < 0:   # only a debit needs the money to be there
        checks.append(Check("within_balance", "Số tiền trong phạm vi số dư khả dụng",
                            balance is not None and voucher.total <= balance,
                            f"{grouped(voucher.total)} / {vnd(balance)}" if balance is not None
                            else "không có tài khoản"))
    if voucher.contract_value is not None:
        cumulative = paid_under_contract + voucher.total
        checks.append(Check("within_contract", "Lũy kế thanh toán không vượt giá trị hợp đồng",
                            cumulative <= voucher.contract_value,
                            f"{grouped(cumulative)} / {vnd(voucher.contract_value)} "
                            f"(đã thanh toán {grouped(paid_under_contract)})"))
    if voucher.payment_kind == "advance":
        num, den = ADVANCE_SHARE_LIMIT
        limit = voucher.contract_value * num // den if voucher.contract_value else 0
        checks.append(Check("advance_within_half_contract", "Tạm ứng không quá 50% giá trị hợp đồng",
                            voucher.total <= limit, f"{grouped(voucher.total)} / {vnd(limit)}"))
    return checks


def split_check(voucher: Voucher) -> Check:
    """Mẫu 14 / 18 (347/2025 Art.4 cl.4 pt.h/i, Art.6 cl.3 pt.a): the part into the budget and
    the part to the payee make the voucher's total; the detail shows both, with where the budget
    part goes, so the officer reads the split as the form prints it."""
    part = voucher.budget_payment
    assert part is not None
    parts_total = part.amount + part.payee_amount
    return Check("parts_sum_to_total", "Số nộp NSNN và số thanh toán cho đối tượng thụ hưởng "
                 "khớp tổng số tiền", parts_total == voucher.total,
                 f"nộp NSNN {grouped(part.amount)} + thanh toán cho đối tượng thụ hưởng "
                 f"{grouped(part.payee_amount)} = {grouped(parts_total)} / {vnd(voucher.total)}; "
                 f"nộp NSNN: MST {part.tax_code}, TK thu {part.revenue_account}, "
                 f"chương {part.chapter_code}, NDKT {part.economic_code}, {part.collecting_agency}")
