"""Temporary allocation of the estimate (tạm cấp dự toán ngân sách, Decree 347/2025 Art. 6 cl. 3
pt. d; the form Mẫu 22).

Before the year's estimate is approved a unit may ask the treasury to allocate part of it
temporarily, so that it can keep working. The request is its own procedure (catalogue
`temporary_allocation`), reviewed and approved like a payment; its system step `allocate` does
not pay anyone: it raises the estimate account's `temporary_allocation`, which the within-balance
check and posting count as spendable (services/posting.py `available`), and ends the dossier
`recorded` with the confirmed Mẫu 22 as its result (347/2025 Art.6 cl.2 pt.i, cl. 8 pt. a). Once the
year's estimate approval is on file the request has no object: refused at receipt, and at the
step if it arrived meanwhile.
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..adapters.models import LegalDocument
from ..adapters.repository import Repository
from ..adapters.workflow import Workflows
from ..domain import budget_forms, catalogue
from ..domain.calendar import local_date
from ..domain.changes import REMOVE, Add
from ..domain.checks import Check
from ..domain.errors import Conflict, InvalidField
from ..domain.voucher import grouped, vnd
from . import common, system_steps

if TYPE_CHECKING:   # record types only: the repository reads and writes them
    from ..adapters.models import Dossier

PATH = "content.allocation_request"


def _estimate_approved(repo: Repository, unit_id: str, year: int) -> bool:
    key = LegalDocument.key(unit_id, "estimate_approval", str(year))
    return key in repo.legal_documents([key])


def check(content: dict, procedure: catalogue.ProcedureVersion, unit: Any, now: datetime,
          repo: Repository) -> dict:
    """At submission: Mẫu 22 well formed, for this unit's own estimate account, for the current
    budget year, whose estimate is not approved yet. Returns the dossier's facts."""
    request = budget_forms.parse_allocation_request(content.get("allocation_request"))
    if request.unit_code != unit.unit_id:
        raise InvalidField("Mã đơn vị không phải của đơn vị bạn.", code="unit_mismatch",
                           field=f"{PATH}.unit.unit_code")
    if request.chapter_code != unit.chapter_code:
        raise InvalidField("Mã chương không khớp với đơn vị.", code="chapter_mismatch",
                           field=f"{PATH}.unit.chapter_code")
    account = repo.account(request.account)
    if account is None or account.unit_id != unit.unit_id:
        raise InvalidField("Tài khoản không tồn tại hoặc không thuộc đơn vị.",
                           code="unknown_account", field=f"{PATH}.unit.account")
    if account.kind != "estimate":
        raise InvalidField("Chỉ tạm cấp vào tài khoản dự toán.", code="not_estimate_account",
                           field=f"{PATH}.unit.account")
    if account.status == "closed":
        raise Conflict("Tài khoản đã được tất toán.", code="account_closed",
                       field=f"{PATH}.unit.account")
    if request.budget_year != local_date(now).year:
        raise InvalidField("Chỉ tạm cấp dự toán của năm ngân sách hiện hành.",
                           code="wrong_budget_year", field=f"{PATH}.budget_year")
    # Mẫu 22: "trong thời gian chưa có dự toán năm được cấp có thẩm quyền phê duyệt".
    if _estimate_approved(repo, unit.unit_id, request.budget_year):
        raise Conflict("Dự toán năm đã được phê duyệt; không tạm cấp nữa.",
                       code="estimate_already_approved", field=f"{PATH}.budget_year")
    return {"account_id": request.account, "amount": request.total,
            "voucher_number": request.number}


def checks(content: dict, unit_id: str, repo: Repository) -> list[Check]:
    """The officer's checklist for Mẫu 22."""
    request = budget_forms.parse_allocation_request(content.get("allocation_request"))
    lines_total = sum(line.amount for line in request.lines)
    approved = _estimate_approved(repo, unit_id, request.budget_year)
    return [
        Check("lines_sum_to_total", "Tổng các dòng khớp tổng số tiền",
              lines_total == request.total, f"{grouped(lines_total)} / {vnd(request.total)}"),
        Check("within_monthly_average",
              "Số đề nghị tạm cấp không vượt số chi bình quân một tháng của năm trước",
              request.total <= request.monthly_average,
              f"{grouped(request.total)} / {vnd(request.monthly_average)} "
              f"(dự toán năm {request.basis_year}: {vnd(request.annual_estimate)})"),
        Check("estimate_not_approved", "Dự toán năm chưa được cấp có thẩm quyền phê duyệt",
              not approved, "đã có quyết định giao dự toán năm" if approved
              else f"chưa có quyết định giao dự toán năm {request.budget_year}"),
    ]


def allocate(message: dict, *, repo: Repository, workflows: Workflows, now: datetime) -> str:
    return system_steps.run(
        message, repo=repo, workflows=workflows, work=lambda d: _allocate(d, repo, now),
        outcome=lambda d: "allocated" if d.status == catalogue.RECORDED
        else (d.result or {}).get("code", "account_closed"))


def _allocate(dossier: Dossier, repo: Repository, now: datetime) -> None:
    at = common.iso(now)
    signed = repo.body(dossier).content.get("allocation_request") or {}
    request = budget_forms.parse_allocation_request(signed)
    account = repo.account(dossier.account_id)
    if account is None:   # checked at receipt, and accounts are never deleted
        raise LookupError("the account of an allocation dossier is missing")
    refusal = None
    if account.status == "closed":
        refusal = ("account_closed", "Tài khoản đã được tất toán.")
    elif _estimate_approved(repo, dossier.unit_id, request.budget_year):
        refusal = ("estimate_approved", "Dự toán năm đã được phê duyệt trong khi chờ tạm cấp.")
    if refusal is not None:
        code, reason = refusal
        repo.move_dossier(
            dossier,
            {"status": catalogue.REFUSED, "step": REMOVE, "updated_at": at,
             "result": {"outcome": catalogue.REFUSED, "code": code, "reason": reason,
                        "decided_at": at}},
            {"at": at, "actor": common.SYSTEM_ACTOR, "action": code, "step": "allocate",
             "from_status": dossier.status, "to_status": catalogue.REFUSED, "reason": reason})
        return
    amount = int(dossier.amount)
    confirmation = {"number": f"TC-{dossier.dossier_id}", "account_id": dossier.account_id,
                    "amount": amount, "budget_year": request.budget_year, "confirmed_at": at,
                    "ledger_reference": None}
    repo.move_dossier(
        dossier,
        {"status": catalogue.RECORDED, "step": REMOVE, "updated_at": at,
         "result": {"outcome": catalogue.RECORDED, "temporary_allocation": confirmation,
                    "confirmed_form": budget_forms.confirmed_form(
                        "22", signed, confirmation=confirmation)}},
        {"at": at, "actor": common.SYSTEM_ACTOR, "action": "allocated", "step": "allocate",
         "from_status": dossier.status, "to_status": catalogue.RECORDED, "reason": None},
        account=account,
        account_changes={"temporary_allocation": Add(amount),
                         "temporary_allocation_year": request.budget_year})
