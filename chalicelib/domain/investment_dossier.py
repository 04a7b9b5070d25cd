"""An investor's dossier under Decree 254/2025 at receipt: what the voucher says about the work
it pays for, which documents that makes required, and the dates that let it in.

Pure rules, no AWS. The voucher's `investment` block (procedures whose catalogue version lists
it in `voucher_blocks`) states the kind of work paid for and, for a payment of completed volume,
the day that volume was accepted; the contract block may state the day the contract took
effect. From those:

- 254/2025 Art.9 cl.2: an advance under a contract whose advance exceeds 1,000,000,000 đồng
  carries the contract advance guarantee, unless the work is one of the exempt cases of pt.b
  (a self-performed construction contract, a project-management consultancy contract, work not
  under a contract, compensation and resettlement other than building works; project-management
  costs are exempt by their procedure not listing the component, pt.b (v)).
- 254/2025 Art.9 cl.1 pt.a (i): an advance under a contract only once the contract has taken
  effect: its effective date is stated and is not after the day of receipt.
- 254/2025 Art.12 cl.1: a year's plan capital is advanced until 31 Dec of the plan year
  (compensation and resettlement until 31 Jan of the next year); Art.12 cl.2: volume accepted
  by 31 Dec of the plan year is paid until 31 Jan of the next year (recovering an advance
  included); Art.12 cl.3: a decision extending the disbursement sets its own last day.

The plan year is the voucher's `budget_year` (the capital plan on file is keyed by it). A
failure is a 4xx naming the field and the date or figure crossed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from .errors import InvalidField

GUARANTEE_THRESHOLD = 1_000_000_000          # 254/2025 Art.9 cl.2 pt.a: "lớn hơn 01 tỷ đồng"

# What the money pays for (254/2025 Art.9 cl.1 pt.a-b, cl.2 pt.b), with its Vietnamese name.
WORKS = {
    "contract": "công việc thực hiện thông qua hợp đồng",
    "self_performed_contract": "hợp đồng xây dựng theo hình thức tự thực hiện",
    "pm_consultancy_contract": "hợp đồng thuê tư vấn quản lý dự án",
    "without_contract": "công việc thực hiện không thông qua hợp đồng",
    "compensation": "bồi thường, hỗ trợ, tái định cư",
    "compensation_works": "xây dựng công trình để bồi thường, hỗ trợ, tái định cư",
}
UNDER_CONTRACT = frozenset({"contract", "self_performed_contract", "pm_consultancy_contract",
                            "compensation_works"})
# 254/2025 Art.9 cl.2 pt.b (ii)-(iv): no advance guarantee is required.
GUARANTEE_EXEMPT = {"self_performed_contract": "(ii)", "pm_consultancy_contract": "(iii)",
                    "without_contract": "(iv)", "compensation": "(iv)"}
# 254/2025 Art.12 cl.1: compensation advances run one month longer.
COMPENSATION = frozenset({"compensation", "compensation_works"})
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class Terms:
    """The voucher's `investment` block, and the contract's effective date."""
    work: str
    accepted_on: date | None = None               # payments: the volume's acceptance date
    contract_effective_on: date | None = None     # `contract.effective_date`
    extended_until: date | None = None            # Art.12 cl.3: the extension decision's last day


def _fail(field: str, message: str, code: str) -> InvalidField:
    return InvalidField(message, code=code, field=field)


def _vnd(amount: int) -> str:
    return f"{amount:,}".replace(",", ".") + " đồng"


def _day(value: Any, field: str) -> date:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise _fail(field, "Sai định dạng: YYYY-MM-DD.", "invalid_format")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _fail(field, "Ngày không tồn tại.", "invalid_format") from None


def _optional_day(obj: dict, key: str, path: str) -> date | None:
    return None if obj.get(key) is None else _day(obj[key], f"{path}.{key}")


def parse_terms(voucher: dict, path: str, payment_kind: str) -> Terms:
    """`voucher.investment` = {work?, accepted_on?, capital_extension?: {decision, until}} and
    `voucher.contract.effective_date`. `work` defaults to "contract" when the voucher names a
    contract, else "without_contract"; a payment of completed volume (or one recovering an
    advance) states `accepted_on`."""
    i_path = f"{path}.investment"
    block = voucher.get("investment", {})
    if not isinstance(block, dict):
        raise _fail(i_path, "Phải là một đối tượng JSON.", "invalid_type")
    contract = voucher.get("contract")
    contract = contract if isinstance(contract, dict) else None
    work = block.get("work", "contract" if contract is not None else "without_contract")
    if work not in WORKS:
        raise _fail(f"{i_path}.work", f"Phải là một trong: {', '.join(WORKS)}.", "invalid_choice")
    accepted_on = _optional_day(block, "accepted_on", i_path)
    if accepted_on is None and payment_kind in ("payment", "advance_settlement"):
        raise _fail(f"{i_path}.accepted_on", "Thanh toán khối lượng hoàn thành phải ghi ngày "
                    "nghiệm thu khối lượng.", "required")
    extended_until = None
    if block.get("capital_extension") is not None:
        ext_path = f"{i_path}.capital_extension"
        ext = block["capital_extension"]
        if not isinstance(ext, dict):
            raise _fail(ext_path, "Phải là một đối tượng JSON.", "invalid_type")
        decision = ext.get("decision")
        if not isinstance(decision, str) or not decision.strip() or len(decision) > 100:
            raise _fail(f"{ext_path}.decision", "Ghi số, ngày quyết định kéo dài thời gian "
                        "giải ngân (tối đa 100 ký tự).", "required")
        extended_until = _day(ext.get("until"), f"{ext_path}.until")
    effective = _optional_day(contract, "effective_date", f"{path}.contract") if contract else None
    return Terms(work, accepted_on, effective, extended_until)


def guarantee_required(payment_kind: str, terms: Terms | None, contract_advance: int | None
                       ) -> str | None:
    """Why this voucher must carry the contract advance guarantee (254/2025 Art.9 cl.2 pt.a),
    or None when it need not. `contract_advance`: the advance the contract provides (what it
    states, else the amount asked for)."""
    if payment_kind != "advance" or terms is None or terms.work in GUARANTEE_EXEMPT:
        return None
    if contract_advance is None or contract_advance <= GUARANTEE_THRESHOLD:
        return None    # 254/2025 Art.9 cl.2 pt.b (i): up to 1 billion, as the contract agrees
    return (f"giá trị tạm ứng hợp đồng {_vnd(contract_advance)} lớn hơn "
            f"{_vnd(GUARANTEE_THRESHOLD)} (Nghị định 254/2025 Điều 9 khoản 2)")


def estimate_summary_required(terms: Terms | None) -> bool:
    """254/2025 Art.8 cl.1 pt.đ: work not under a contract is paid against the estimate summary
    (Mẫu 02.b/TT), as is the compensation plan's (pt.e, the same table here)."""
    return terms is not None and terms.work not in UNDER_CONTRACT


def check_at_receipt(payment_kind: str, budget_year: int, terms: Terms, today: date,
                     path: str = "content.voucher") -> None:
    """The dates that let the dossier in on `today` (the office's local day of receipt)."""
    year_field = f"{path}.budget_year"
    if budget_year > today.year:
        raise _fail(year_field, f"Kế hoạch vốn năm {budget_year} chưa bắt đầu.",
                    "plan_year_not_begun")
    if payment_kind == "advance":
        _check_advance(budget_year, terms, today, path)
    else:
        _check_payment(budget_year, terms, today, path)


def _check_advance(year: int, terms: Terms, today: date, path: str) -> None:
    # 254/2025 Art.9 cl.1 pt.a (i): the contract must have taken effect.
    if terms.work in UNDER_CONTRACT:
        field = f"{path}.contract.effective_date"
        if terms.contract_effective_on is None:
            raise _fail(field, "Tạm ứng theo hợp đồng phải ghi ngày hợp đồng có hiệu lực "
                        "(Nghị định 254/2025 Điều 9 khoản 1).", "required")
        if terms.contract_effective_on > today:
            raise _fail(field, f"Hợp đồng có hiệu lực từ {terms.contract_effective_on:%d/%m/%Y}: "
                        "chỉ tạm ứng sau khi hợp đồng có hiệu lực (Nghị định 254/2025 Điều 9 "
                        "khoản 1).", "contract_not_in_effect")
    # 254/2025 Art.12 cl.1 (cl.3: an extension decision sets its own day).
    last = date(year + 1, 1, 31) if terms.work in COMPENSATION else date(year, 12, 31)
    last = terms.extended_until or last
    if today > last:
        raise _fail(f"{path}.budget_year", f"Vốn kế hoạch năm {year} chỉ được tạm ứng đến hết "
                    f"ngày {last:%d/%m/%Y} (Nghị định 254/2025 Điều 12 khoản 1).",
                    "advance_period_over")


def _check_payment(year: int, terms: Terms, today: date, path: str) -> None:
    field = f"{path}.investment.accepted_on"
    accepted = terms.accepted_on
    if accepted is None:   # parse_terms requires it for these kinds
        raise _fail(field, "Thiếu ngày nghiệm thu khối lượng.", "required")
    if accepted > today:
        raise _fail(field, f"Ngày nghiệm thu {accepted:%d/%m/%Y} chưa đến.", "accepted_in_future")
    # 254/2025 Art.12 cl.2: volume accepted by 31 Dec of the plan year, paid by 31 Jan after.
    year_end = date(year, 12, 31)
    if terms.extended_until is None and accepted > year_end:
        raise _fail(field, f"Khối lượng nghiệm thu ngày {accepted:%d/%m/%Y}, sau ngày "
                    f"{year_end:%d/%m/%Y}: không thanh toán từ kế hoạch vốn năm {year} "
                    "(Nghị định 254/2025 Điều 12 khoản 2).", "accepted_after_plan_year")
    last = terms.extended_until or date(year + 1, 1, 31)
    if today > last:
        raise _fail(f"{path}.budget_year", f"Vốn kế hoạch năm {year} chỉ được thanh toán đến "
                    f"hết ngày {last:%d/%m/%Y} (Nghị định 254/2025 Điều 12 khoản 2).",
                    "payment_period_over")
