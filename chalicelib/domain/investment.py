"""The checks of public-investment payments (Decree 254/2025 Art.6 cl.4–8, Art.9 cl.4–5): pure
rules, no AWS. They apply to the investment procedures by procedure code (`PROCEDURES`), whatever
the version a dossier is bound to.

The figures come from the project register the office keeps (services/projects.py): the total
investment the investment decision approved (Art.6 cl.4) and, per year, the capital plan the
office records in TABMIS (Art.7 cl.3) — the allocation, plus the previous year's plan extended
into it and the advance from next year's estimate (Art.6 cl.5 names both as part of the plan).

What a voucher of these procedures may carry besides the common fields (Mẫu 04.b/TT):
- `contract.items[]`: the items of the contract-information table (Mẫu 02.a/TT) with their
  values, `{code, name?, value}`; each line names the item it pays as `contract_item`
  (Art.6 cl.6), unless it is a cost computed as a percentage (`percentage_based: true`, 254/2025 Art.6 cl.7:
  paid as the investor asks, no item check).
- `advance_recovery`: the part of a payment of completed volume settled by recovering the
  contract's open advance (Art.9 cl.5 pt.a). The voucher's `total` is the completed volume paid;
  the cash paid out is `total - advance_recovery`.

254/2025 Art.6 cl.8: the treasury pays on the completeness of the legal, advance and payment dossiers and
on what they say. What is NOT checked here, by design: the unit prices, quantities and volumes
behind a line, the acceptance of the work, whether the contract or the cost estimate complies with
construction law, and the percentage rates of cl.7 costs — the investor answers for them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .errors import InvalidField

PROCEDURES = ("investment_capital_payment", "project_management_costs", "foreign_capital_spending")
# The checklist codes these rules add (catalogue.INVESTMENT_CHECKS_254 lists the same).
CHECK_CODES = ("within_total_investment", "within_year_plan", "within_contract_items",
               "advance_within_year_plan", "advance_recovered_by_80_percent")
RECOVERY_THRESHOLD_BASIS_POINTS = 8_000     # 254/2025 Art.9 cl.5 pt.a: 80% of the contract value
MAX_AMOUNT = 10**15
_ITEM_CODE = re.compile(r"[A-Za-z0-9._\-/]{1,30}")


def applies_to(procedure_code: str) -> bool:
    return procedure_code in PROCEDURES


def vnd(amount: int) -> str:
    return f"{amount:,}".replace(",", ".") + " đồng"


# --- the register's figures ---------------------------------------------------------------------

@dataclass(frozen=True)
class YearPlan:
    """254/2025 Art.6 cl.5: the year's plan includes the previous year's plan extended into it
    and the advance from next year's estimate."""
    allocated: int
    extended_from_previous: int = 0
    advanced_from_next_year: int = 0

    @property
    def total(self) -> int:
        return self.allocated + self.extended_from_previous + self.advanced_from_next_year

    def public(self) -> dict:
        return {"allocated": self.allocated, "extended_from_previous": self.extended_from_previous,
                "advanced_from_next_year": self.advanced_from_next_year, "total": self.total}


@dataclass(frozen=True)
class Disbursed:
    """What left the treasury for the project (advances, payments net of the advance they
    recovered), to date and per plan year; `advances_by_year` the advances alone (Art.9 cl.4)."""
    to_date: int = 0
    by_year: dict[int, int] = field(default_factory=dict)
    advances_by_year: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Project:
    code: str
    total_investment: int
    plans: dict[int, YearPlan]


@dataclass(frozen=True)
class ContractUse:
    """What the unit's earlier dossiers under the same contract used: completed volume paid per
    contract item and in all, and the advance still open."""
    paid_by_item: dict[str, int] = field(default_factory=dict)
    volume_paid: int = 0
    open_advance: int = 0


# --- what the voucher carries -------------------------------------------------------------------

@dataclass(frozen=True)
class Terms:
    payment_kind: str
    total: int
    budget_year: int
    contract_value: int | None
    items: dict[str, int]                      # the contract table: item code → value
    line_items: tuple[tuple[str | None, int], ...]   # per line: the item it pays, its amount
    advance_recovery: int = 0
    difference_to_pay: int = 0               # an advance settlement: what it pays out

    @property
    def disbursed(self) -> int:
        """The cash this voucher takes out: an advance whole, a payment less its recovery, a
        settlement only the difference it pays above its advance."""
        if self.payment_kind == "advance_settlement":
            return self.difference_to_pay
        return self.total - self.advance_recovery

    def amount_by_item(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for item, amount in self.line_items:
            if item is not None:
                out[item] = out.get(item, 0) + amount
        return out


def _fail(field_path: str, message: str, code: str) -> InvalidField:
    return InvalidField(message, code=code, field=field_path)


def _amount(value: Any, path: str, *, zero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(path, "Số tiền phải là số nguyên đồng.", "invalid_amount")
    if value < (0 if zero else 1) or value >= MAX_AMOUNT:
        raise _fail(path, "Số tiền ngoài giới hạn cho phép.", "invalid_amount")
    return value


def parse_terms(raw: dict, path: str = "content.voucher") -> Terms:
    """The investment fields of a voucher that parse_voucher has already accepted."""
    contract = raw.get("contract") if isinstance(raw.get("contract"), dict) else None
    items = _items(contract, f"{path}.contract") if contract is not None else {}
    line_items = []
    for i, line in enumerate(raw["lines"]):
        line_path = f"{path}.lines[{i}]"
        percentage = line.get("percentage_based", False)
        if not isinstance(percentage, bool):
            raise _fail(f"{line_path}.percentage_based", "Phải là true hoặc false.", "invalid_type")
        item = line.get("contract_item")
        if item is not None and (not isinstance(item, str) or item not in items):
            raise _fail(f"{line_path}.contract_item", "Hạng mục không có trong bảng tổng hợp thông "
                        "tin hợp đồng (contract.items).", "unknown_contract_item")
        if item is None and items and not percentage:
            # 254/2025 Art.6 cl.6: each payment names the contract item it pays.
            raise _fail(f"{line_path}.contract_item", "Cần mã hạng mục hợp đồng của dòng này.",
                        "required")
        line_items.append((None if percentage else item, line["amount"]))
    recovery = 0
    if raw.get("advance_recovery") is not None:
        recovery = _amount(raw["advance_recovery"], f"{path}.advance_recovery", zero=True)
        if raw.get("payment_kind") != "payment":
            raise _fail(f"{path}.advance_recovery", "Chỉ hồ sơ thanh toán khối lượng hoàn thành "
                        "mới thu hồi tạm ứng.", "recovery_not_allowed")
        if recovery > raw["total"]:
            raise _fail(f"{path}.advance_recovery", f"Số thu hồi tạm ứng ({vnd(recovery)}) vượt "
                        f"số đề nghị thanh toán ({vnd(raw['total'])}).", "recovery_over_total")
    difference = raw.get("difference_to_pay") if raw.get("payment_kind") == "advance_settlement" \
        else None
    return Terms(raw["payment_kind"], raw["total"], raw["budget_year"],
                 contract.get("value") if contract else None, items, tuple(line_items), recovery,
                 difference if isinstance(difference, int) else 0)


def _items(contract: dict, path: str) -> dict[str, int]:
    raw = contract.get("items")
    if raw is None:
        return {}
    if not isinstance(raw, list) or len(raw) > 500:
        raise _fail(f"{path}.items", "Phải là danh sách (tối đa 500 hạng mục).", "invalid_type")
    items: dict[str, int] = {}
    for i, item in enumerate(raw):
        at = f"{path}.items[{i}]"
        if not isinstance(item, dict):
            raise _fail(at, "Phải là một đối tượng JSON.", "invalid_type")
        code = item.get("code")
        if not isinstance(code, str) or not _ITEM_CODE.fullmatch(code):
            raise _fail(f"{at}.code", "Mã hạng mục: 1–30 chữ, số, . _ - /.", "invalid_format")
        if code in items:
            raise _fail(f"{at}.code", "Mã hạng mục trùng.", "duplicate_contract_item")
        items[code] = _amount(item.get("value"), f"{at}.value")
    if sum(items.values()) > contract["value"]:
        raise _fail(f"{path}.items", f"Tổng giá trị các hạng mục ({vnd(sum(items.values()))}) vượt "
                    f"giá trị hợp đồng ({vnd(contract['value'])}).", "contract_items_over_value")
    return items


# --- the rules ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Finding:
    """One rule's outcome: `code` its checklist code, `problem` the 4xx code when it fails."""
    code: str
    label_vi: str
    passed: bool
    detail: str
    field: str
    problem: str
    required: bool = True


def within_total_investment(terms: Terms, project: Project, disbursed: Disbursed) -> Finding:
    """254/2025 Art.6 cl.4: what is disbursed to the project never exceeds its approved (or
    adjusted) total investment."""
    cumulative = disbursed.to_date + terms.disbursed
    return Finding("within_total_investment", "Lũy kế giải ngân không vượt tổng mức đầu tư",
                   cumulative <= project.total_investment,
                   f"{vnd(cumulative)} / tổng mức đầu tư {vnd(project.total_investment)} "
                   f"(đã giải ngân {vnd(disbursed.to_date)})",
                   "content.voucher.total", "over_total_investment")


def within_year_plan(terms: Terms, project: Project, disbursed: Disbursed) -> Finding:
    """254/2025 Art.6 cl.5: what is disbursed in the year stays within the year's plan (the
    extended plan of the previous year and the advance from next year's estimate included)."""
    plan = project.plans.get(terms.budget_year)
    if plan is None:
        return _no_plan("within_year_plan", "Giải ngân trong năm không vượt kế hoạch vốn năm",
                        terms.budget_year)
    in_year = disbursed.by_year.get(terms.budget_year, 0) + terms.disbursed
    return Finding("within_year_plan", "Giải ngân trong năm không vượt kế hoạch vốn năm",
                   in_year <= plan.total,
                   f"{vnd(in_year)} / kế hoạch vốn năm {terms.budget_year} {vnd(plan.total)} "
                   f"(đã giải ngân trong năm {vnd(disbursed.by_year.get(terms.budget_year, 0))})",
                   "content.voucher.total", "over_year_plan")


def advance_within_year_plan(terms: Terms, project: Project, disbursed: Disbursed) -> Finding:
    """254/2025 Art.9 cl.4: the advances never exceed the year's plan allocated to the project."""
    label = "Vốn tạm ứng không vượt kế hoạch vốn năm"
    if terms.payment_kind != "advance":
        return Finding("advance_within_year_plan", label, True, "Không phải hồ sơ tạm ứng.",
                       "content.voucher.total", "advance_over_year_plan", required=False)
    plan = project.plans.get(terms.budget_year)
    if plan is None:
        return _no_plan("advance_within_year_plan", label, terms.budget_year)
    advanced = disbursed.advances_by_year.get(terms.budget_year, 0) + terms.total
    return Finding("advance_within_year_plan", label, advanced <= plan.total,
                   f"tạm ứng {vnd(advanced)} / kế hoạch vốn năm {terms.budget_year} "
                   f"{vnd(plan.total)}", "content.voucher.total", "advance_over_year_plan")


def _no_plan(code: str, label: str, year: int) -> Finding:
    return Finding(code, label, False, f"Dự án chưa có kế hoạch vốn năm {year} tại KBNN.",
                   "content.voucher.budget_year", "no_year_plan")


def within_contract_items(terms: Terms, used: ContractUse) -> Finding:
    """254/2025 Art.6 cl.6: each contract item is paid, cumulatively over the unit's dossiers
    under the same contract, within its value in the contract-information table; lines of a cost
    computed as a percentage (Art.6 cl.7) are paid as the investor asks and not held to an item."""
    label = "Thanh toán từng hạng mục không vượt giá trị tại bảng tổng hợp thông tin hợp đồng"
    if not terms.items:
        return Finding("within_contract_items", label, True,
                       "Không có bảng hạng mục hợp đồng (contract.items).", "content.voucher.lines",
                       "over_contract_item", required=False)
    parts = []
    for i, (item, _) in enumerate(terms.line_items):
        if item is None:
            continue
        before = used.paid_by_item.get(item, 0)
        now = before + terms.amount_by_item()[item]
        if now > terms.items[item]:
            return Finding("within_contract_items", label, False,
                           f"hạng mục {item}: {vnd(now)} / {vnd(terms.items[item])} "
                           f"(đã thanh toán {vnd(before)})",
                           f"content.voucher.lines[{i}].amount", "over_contract_item")
        parts.append(f"{item}: {vnd(now)} / {vnd(terms.items[item])}")
    return Finding("within_contract_items", label, True, "; ".join(dict.fromkeys(parts)) or
                   "các dòng là chi phí tính theo tỷ lệ %", "content.voucher.lines",
                   "over_contract_item")


def advance_recovery(terms: Terms, used: ContractUse) -> Finding:
    """254/2025 Art.9 cl.5 pt.a: the advance is recovered through the payments of completed volume
    and wholly by the time they reach 80% of the contract value; a recovery never exceeds the
    advance still open."""
    label = "Thu hồi tạm ứng (thu hồi hết khi giải ngân đạt 80% giá trị hợp đồng)"
    field_path = "content.voucher.advance_recovery"
    if terms.payment_kind != "payment" or terms.contract_value is None:
        return Finding("advance_recovered_by_80_percent", label, True,
                       "Không phải thanh toán khối lượng hoàn thành theo hợp đồng.", field_path,
                       "advance_not_recovered", required=False)
    if terms.advance_recovery > used.open_advance:
        return Finding("advance_recovered_by_80_percent", label, False,
                       f"thu hồi {vnd(terms.advance_recovery)} vượt số tạm ứng còn lại "
                       f"{vnd(used.open_advance)}", field_path, "recovery_over_open_advance")
    volume = used.volume_paid + terms.total
    threshold = terms.contract_value * RECOVERY_THRESHOLD_BASIS_POINTS // 10_000
    figures = (f"lũy kế thanh toán {vnd(volume)} / 80% giá trị hợp đồng {vnd(threshold)}; "
               f"tạm ứng còn lại {vnd(used.open_advance)}, thu hồi {vnd(terms.advance_recovery)}")
    must_clear = volume >= threshold
    return Finding("advance_recovered_by_80_percent", label,
                   not must_clear or terms.advance_recovery == used.open_advance, figures,
                   field_path, "advance_not_recovered")


def findings(terms: Terms, project: Project, disbursed: Disbursed,
             used: ContractUse) -> list[Finding]:
    """Every rule, in the order the officer reads them."""
    return [within_total_investment(terms, project, disbursed),
            within_year_plan(terms, project, disbursed),
            advance_within_year_plan(terms, project, disbursed),
            within_contract_items(terms, used),
            advance_recovery(terms, used)]


# Each rule's 4xx, its code written out (tests/unit/test_openapi_errors.py reads them).
_REFUSALS = {
    "over_total_investment": lambda m, f: InvalidField(m, code="over_total_investment", field=f),
    "over_year_plan": lambda m, f: InvalidField(m, code="over_year_plan", field=f),
    "no_year_plan": lambda m, f: InvalidField(m, code="no_year_plan", field=f),
    "advance_over_year_plan": lambda m, f: InvalidField(m, code="advance_over_year_plan", field=f),
    "over_contract_item": lambda m, f: InvalidField(m, code="over_contract_item", field=f),
    "recovery_over_open_advance":
        lambda m, f: InvalidField(m, code="recovery_over_open_advance", field=f),
    "advance_not_recovered": lambda m, f: InvalidField(m, code="advance_not_recovered", field=f),
}


def first_failure(found: list[Finding]) -> InvalidField | None:
    """The first failed rule as the 4xx the submission answers with, naming field and figures."""
    for f in found:
        if not f.passed:
            return _REFUSALS[f.problem](refusal_text(f), f.field)
    return None


def refusal_text(finding: Finding) -> str:
    """What the unit reads: the rule and the figures (the refusal's written reason too)."""
    return f"Không đạt kiểm soát: {finding.label_vi} — {finding.detail}."
