"""The project register the office keeps for public-investment payments (Decree 254/2025), and
the figures its checks read.

Per project (its 7-digit code, the voucher's `project.code`): the total investment the investment
decision approved (254/2025 Art.6 cl.4) and, per year, the capital plan the office recorded in
TABMIS (254/2025 Art.7 cl.3) with its parts (Art.6 cl.5). Control officers and leaders of the
owner unit's office write it; the owner unit and the office read it, with what was disbursed to
date and in each year. What was disbursed is never kept twice: it is read from the owner unit's
dossiers for the project (paid or recorded, or already sent to the ledger), so a refused or
re-run posting can never leave a stale counter behind.

The same figures serve the submission (a 4xx naming the field and the figure), the officer's
checklist, and the posting step, which checks the year's plan again (another dossier may have
used it since receipt) and refuses with a written reason (decision `over_year_plan`).
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from ..adapters.identity import Principal
from ..adapters.models import Dossier, Project
from ..adapters.repository import Repository
from ..domain import catalogue, investment, policy
from ..domain.checks import Check
from ..domain.commands import PutProject, PutYearPlan
from ..domain.errors import Forbidden, InvalidField, NotFound
from . import authz, common

_CODE = re.compile(r"[0-9]{7}")
_UNIT = re.compile(r"[0-9]{7}")
COUNTED = (catalogue.PAID, catalogue.RECORDED)


# --- the register (API) -------------------------------------------------------------------------

def put_project(principal: Principal, code: str, cmd: PutProject, *, repo: Repository,
                now: datetime) -> dict:
    """Record or change a project's name, owner unit and approved total investment."""
    authz.require(principal, "project.manage")
    _check_code(code)
    existing = repo.project(code)
    if existing is not None:   # the office that keeps it, before anything in the body is judged
        _authorize_manage(principal, existing.office_id, repo)
    owner = cmd.owner_unit
    if not isinstance(owner, str) or not _UNIT.fullmatch(owner):
        raise InvalidField("Mã đơn vị chủ đầu tư phải gồm 7 chữ số.", code="invalid_format",
                           field="owner_unit")
    unit = repo.unit(owner)
    if unit is None:
        raise InvalidField("Đơn vị chủ đầu tư chưa đăng ký.", code="unknown_unit", field="owner_unit")
    _authorize_manage(principal, unit.office_id, repo)   # the office of the (new) owner unit
    name = cmd.name
    if not isinstance(name, str) or not name.strip() or len(name) > 300:
        raise InvalidField("Cần tên dự án (tối đa 300 ký tự).", code="required", field="name")
    total = _amount(cmd.total_investment, "total_investment")
    project = existing or Project(Project.key(code), project_code=code, plans={})
    project.name, project.owner_unit, project.office_id = name.strip(), owner, unit.office_id
    project.total_investment = total
    project.updated_at, project.updated_by = common.iso(now), principal.username
    repo.save_project(project)
    return view(project, repo)


def put_year_plan(principal: Principal, code: str, year: str, cmd: PutYearPlan, *,
                  repo: Repository, now: datetime) -> dict:
    """Record the year's capital plan as allocated in TABMIS (254/2025 Art.7 cl.3), with the
    previous year's plan extended into it and the advance from next year's estimate (Art.6 cl.5)."""
    authz.require(principal, "project.manage")
    project = _project(principal, code, "project.manage", repo)
    if not year.isdigit() or not 2000 <= int(year) <= 2100:
        raise InvalidField("Năm kế hoạch không hợp lệ.", code="invalid_format", field="year")
    plan = investment.YearPlan(
        _amount(cmd.allocated, "allocated", zero=True),
        _amount(cmd.extended_from_previous or 0, "extended_from_previous", zero=True),
        _amount(cmd.advanced_from_next_year or 0, "advanced_from_next_year", zero=True))
    used = figures(project, repo).by_year.get(int(year), 0)
    if plan.total < used:
        raise InvalidField(f"Kế hoạch vốn năm {year} ({investment.vnd(plan.total)}) nhỏ hơn số đã "
                           f"giải ngân trong năm ({investment.vnd(used)}).",
                           code="plan_below_disbursed", field="allocated")
    project.plans = {**(project.plans or {}), str(int(year)): {
        "allocated": plan.allocated, "extended_from_previous": plan.extended_from_previous,
        "advanced_from_next_year": plan.advanced_from_next_year,
        "recorded_at": common.iso(now), "recorded_by": principal.username}}
    project.updated_at, project.updated_by = common.iso(now), principal.username
    repo.save_project(project)
    return view(project, repo)


def get_project(principal: Principal, code: str, *, repo: Repository) -> dict:
    authz.require(principal, "project.read")
    return view(_project(principal, code, "project.read", repo), repo)


def view(project: Project, repo: Repository) -> dict:
    spent = figures(project, repo)
    plans = domain_project(project).plans
    years = sorted(set(plans) | set(spent.by_year))
    return {"code": project.project_code, "name": project.name, "owner_unit": project.owner_unit,
            "office_id": project.office_id, "total_investment": int(project.total_investment),
            "disbursed_to_date": spent.to_date,
            "years": [{"year": y, "plan": plans[y].public() if y in plans else None,
                       "disbursed": spent.by_year.get(y, 0),
                       "advanced": spent.advances_by_year.get(y, 0)} for y in years],
            "updated_at": project.updated_at, "updated_by": project.updated_by,
            "version": int(project.version)}


def _project(principal: Principal, code: str, action: str, repo: Repository) -> Project:
    """The project, if the caller may read it (404 otherwise) or manage it (403: project codes
    are public, like office codes)."""
    _check_code(code)
    project = repo.project(code)
    if project is None:
        raise _not_found()
    if action == "project.manage":
        _authorize_manage(principal, project.office_id, repo)
    else:
        authz.authorize(principal, action, policy.Resource(unit_id=project.owner_unit,
                                                           office_id=project.office_id), repo,
                        not_found=_not_found())
    return project


def _authorize_manage(principal: Principal, office_id: str, repo: Repository) -> None:
    authz.authorize(principal, "project.manage", policy.Resource(office_id=office_id), repo,
                    forbidden=Forbidden("Chỉ cán bộ kiểm soát, lãnh đạo KBNN nơi chủ đầu tư "
                                        "giao dịch.", code="out_of_scope"))


def _not_found() -> NotFound:
    return NotFound("Không tìm thấy dự án.", code="project_not_found")


def _check_code(code: str) -> None:
    if not _CODE.fullmatch(code):
        raise InvalidField("Mã dự án phải gồm 7 chữ số.", code="invalid_format", field="code")


def _amount(value: Any, field: str, *, zero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or \
            not (0 if zero else 1) <= value < investment.MAX_AMOUNT:
        raise InvalidField("Số tiền phải là số nguyên đồng trong giới hạn cho phép.",
                           code="invalid_amount", field=field)
    return value


# --- the figures the checks read ----------------------------------------------------------------

def domain_project(project: Project) -> investment.Project:
    plans = {int(y): investment.YearPlan(int(p["allocated"]), int(p.get("extended_from_previous", 0)),
                                         int(p.get("advanced_from_next_year", 0)))
             for y, p in (project.plans or {}).items()}
    return investment.Project(project.project_code, int(project.total_investment), plans)


def holds(dossier: Dossier) -> bool:
    """Counted as disbursed: paid or recorded, or sent to the ledger and waiting for it."""
    return dossier.status in COUNTED or (dossier.status == catalogue.POSTING
                                         and bool(dossier.ledger_requested_at))


def _year(dossier: Dossier, repo: Repository) -> int:
    year = (repo.body(dossier).content.get("voucher") or {}).get("budget_year")
    return year if isinstance(year, int) else int(dossier.received_at[:4])


def figures(project: Project, repo: Repository, *, excluding: str | None = None) -> investment.Disbursed:
    """What left the treasury for the project: each counted dossier's cash (an advance whole, a
    payment less the advance it recovered, a settlement only the difference it paid out)."""
    to_date, by_year, advances_by_year = 0, {}, {}   # type: ignore[var-annotated]
    for d in repo.project_dossiers(project.owner_unit, project.project_code):
        if d.dossier_id == excluding or not holds(d):
            continue
        cash, year = int(d.amount) - int(d.advance_converted or 0), _year(d, repo)
        to_date += cash
        by_year[year] = by_year.get(year, 0) + cash
        if d.payment_kind == "advance":
            advances_by_year[year] = advances_by_year.get(year, 0) + int(d.amount)
    return investment.Disbursed(to_date, by_year, advances_by_year)


def contract_use(unit_id: str, contract_number: str | None, repo: Repository, *,
                 excluding: str | None = None) -> investment.ContractUse:
    """What the unit's earlier dossiers under the contract used: completed volume paid per item
    and in all (254/2025 Art.6 cl.6), and the advance still open (Art.9 cl.5): advances paid less
    what settlements converted and payments recovered."""
    if not contract_number:
        return investment.ContractUse()
    by_item: dict[str, int] = {}
    volume = advanced = recovered = 0
    for d in repo.contract_dossiers(unit_id, contract_number):
        if d.dossier_id == excluding or not holds(d):
            continue
        if d.payment_kind == "advance":
            advanced += int(d.amount)
        elif d.payment_kind in ("payment", "advance_settlement"):
            recovered += int(d.advance_converted or 0)
            if d.payment_kind == "payment":
                volume += int(d.amount)
                for line in (repo.body(d).content.get("voucher") or {}).get("lines") or []:
                    item = line.get("contract_item") if isinstance(line, dict) else None
                    if isinstance(item, str) and not line.get("percentage_based"):
                        by_item[item] = by_item.get(item, 0) + int(line.get("amount") or 0)
    return investment.ContractUse(by_item, volume, max(0, advanced - recovered))


def evaluate(signed_voucher: dict, project_code: str | None, unit_id: str, repo: Repository, *,
             dossier_id: str | None = None) -> tuple[list[investment.Finding], InvalidField | None]:
    """Every 254 rule on a voucher, and the 4xx of the first that fails (the project unknown to
    the register, or another unit's, is one)."""
    terms = investment.parse_terms(signed_voucher)
    project = repo.project(project_code) if project_code else None
    if project is None or project.owner_unit != unit_id:
        return [], InvalidField("Dự án chưa được KBNN ghi nhận (tổng mức đầu tư, kế hoạch vốn) "
                                "cho đơn vị này.", code="unknown_project",
                                field="content.voucher.project.code")
    found = investment.findings(terms, domain_project(project),
                                figures(project, repo, excluding=dossier_id),
                                contract_use(unit_id, _contract_number(signed_voucher), repo,
                                             excluding=dossier_id))
    return found, investment.first_failure(found)


def _contract_number(signed_voucher: dict) -> str | None:
    contract = signed_voucher.get("contract")
    number = contract.get("number") if isinstance(contract, dict) else None
    return number.strip() if isinstance(number, str) else None


def check_submission(signed_voucher: dict, project_code: str | None, unit_id: str,
                     repo: Repository) -> int:
    """At receipt: a 4xx for the first 254 rule the voucher breaks; else what it recovers of its
    contract's advance (kept on the dossier as `advance_converted`)."""
    _, problem = evaluate(signed_voucher, project_code, unit_id, repo)
    if problem is not None:
        raise problem
    return investment.parse_terms(signed_voucher).advance_recovery


def checklist(signed_voucher: dict, project_code: str | None, dossier: Dossier,
              repo: Repository) -> list[Check]:
    """The officer's checklist lines, figures fresh."""
    found, problem = evaluate(signed_voucher, project_code, dossier.unit_id, repo,
                              dossier_id=dossier.dossier_id)
    if not found and problem is not None:
        return [Check(code, "Dự án trong sổ theo dõi của KBNN", False, problem.message)
                for code in investment.CHECK_CODES]
    return [Check(f.code, f.label_vi, f.passed, f.detail, f.required) for f in found]


OVER_YEAR_PLAN = "over_year_plan"


def posting_refusal(signed_voucher: dict, dossier: Dossier,
                    repo: Repository) -> tuple[str, str] | None:
    """At posting, the rules another dossier can break meanwhile: the year's plan (254/2025 Art.6
    cl.5, Art.9 cl.4), the total investment (Art.6 cl.4) and the open advance a recovery takes
    (Art.9 cl.5). A written reason the unit reads on its refusal."""
    found, problem = evaluate(signed_voucher, dossier.project_code, dossier.unit_id, repo,
                              dossier_id=dossier.dossier_id)
    if problem is not None and not found:
        return OVER_YEAR_PLAN, problem.message
    for f in found:
        if not f.passed and f.code in ("within_year_plan", "advance_within_year_plan",
                                       "within_total_investment"):
            return OVER_YEAR_PLAN, investment.refusal_text(f)
        if not f.passed and f.problem == "recovery_over_open_advance":
            return "over_advance", investment.refusal_text(f)
    return None
