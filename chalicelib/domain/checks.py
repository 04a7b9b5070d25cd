"""The checks a control officer does by hand on a payment, run automatically and shown as a
checklist (pass/fail per item, with the figures). They inform the officer's decision; they do
not make it — a failed check is a reason to refuse or ask for a supplement, with a human saying so.

A check the law does not ask for on this voucher stays on the list, `required: false` and passed,
its detail saying why (the economic-content code on a deposit account: 347/2025 Art.6 cl.2 pt.b
1st para), so the officer sees it was not forgotten.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .voucher import Voucher, grouped, vnd


@dataclass(frozen=True)
class Check:
    code: str
    label_vi: str
    passed: bool
    detail: str
    required: bool = True

    def public(self) -> dict:
        return {"code": self.code, "label_vi": self.label_vi, "passed": self.passed,
                "required": self.required, "detail": self.detail}


DEPOSIT_EXEMPTION = ("Không yêu cầu: khoản chi từ tài khoản tiền gửi của đơn vị tại KBNN "
                     "(Nghị định 347/2025 Điều 6 khoản 2 điểm b).")


def debit_amount(voucher: Voucher) -> int:
    """What posting the voucher takes from the account: the total of a debit, the difference a
    settlement above its advance pays out (347/2025 Art.6 cl.2 pt.e), else nothing."""
    if voucher.kind.balance_effect < 0:
        return voucher.total
    return voucher.difference_to_pay if voucher.payment_kind == "advance_settlement" else 0


@lru_cache(maxsize=1)
def economic_codes() -> dict[str, str]:
    data = json.loads((Path(__file__).parent / "data" / "economic_codes.json").read_text("utf-8"))
    return data["codes"]


def payment_checks(voucher: Voucher, *, balance: int | None, paid_under_contract: int,
                   account_kind: str | None = None) -> list[Check]:
    """`balance`: the account's available balance now (None if the account is gone);
    `paid_under_contract`: what this unit has already been paid under the same contract;
    `account_kind`: "estimate" or "deposit" (None if the account is gone)."""
    lines_total = sum(line.amount for line in voucher.lines)
    checks = [
        Check("lines_sum_to_total", "Tổng các dòng khớp tổng số tiền",
              lines_total == voucher.total, f"{grouped(lines_total)} / {vnd(voucher.total)}"),
        _economic_codes(voucher, account_kind),
    ]
    if voucher.budget_payment is not None:
        checks.append(split_check(voucher))
    # Within the account balance: 347/2025 Art.6 cl.2 pt.c (budget funds, the estimate account),
    # 347/2025 Art.6 cl.2 pt.d (other lawful revenue, also within the estimate: components.py)
    # and 347/2025 Art.6 cl.2 pt.đ (other sources, the deposit account).
    to_debit = debit_amount(voucher)
    if to_debit:   # only a debit needs the money to be there
        checks.append(Check("within_balance", "Số tiền trong phạm vi số dư khả dụng",
                            balance is not None and to_debit <= balance,
                            f"{grouped(to_debit)} / {vnd(balance)}" if balance is not None
                            else "không có tài khoản"))
    if voucher.contract_value is not None:
        # 347/2025 Art.6 cl.2 pt.b 4th para: payments under a contract or decision stay within it.
        cumulative = paid_under_contract + voucher.total
        checks.append(Check("within_contract", "Lũy kế thanh toán không vượt giá trị hợp đồng",
                            cumulative <= voucher.contract_value,
                            f"{grouped(cumulative)} / {vnd(voucher.contract_value)} "
                            f"(đã thanh toán {grouped(paid_under_contract)})"))
    if voucher.payment_kind == "advance":
        # 347/2025 Art.6 cl.2 pt.b 4th para: the advance follows the contract's (decision's) rate.
        limit = voucher.advance_limit
        checks.append(Check("advance_within_contract_rate",
                            "Tạm ứng trong mức hợp đồng/quyết định quy định",
                            limit is not None and voucher.total <= limit,
                            f"{grouped(voucher.total)} / {vnd(limit)}" if limit is not None
                            else "hợp đồng/quyết định không ghi mức tạm ứng"))
    return checks


def _economic_codes(voucher: Voucher, account_kind: str | None) -> Check:
    label = "Mã nội dung kinh tế có trong mục lục NSNN"
    if account_kind == "deposit":   # 347/2025 Art.6 cl.2 pt.b 1st para: deposit accounts exempt
        return Check("economic_codes_known", label, True, DEPOSIT_EXEMPTION, required=False)
    unknown = [line.economic_code for line in voucher.lines
               if line.economic_code not in economic_codes()]
    return Check("economic_codes_known", label, not unknown,
                 "mã không có trong mục lục: " + ", ".join(unknown) if unknown else
                 ", ".join(f"{line.economic_code} {economic_codes()[line.economic_code]}"
                           for line in voucher.lines))
def split_check(voucher: Voucher) -> Check:
    """Mẫu 14 / 18 (347/2025 Art.4 cl.4 pt.h and
    347/2025 Art.4 cl.4 pt.i; 347/2025 Art.6 cl.3 pt.a): the part into the budget and
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
