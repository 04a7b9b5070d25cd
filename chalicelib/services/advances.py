"""The advance register (sổ theo dõi tạm ứng) of a unit: every paid advance with what its
settlements converted, what is still open and how old it is (347/2025 Art.6 cl.2 pt.e: the
remainder of a settlement below its advance is tracked "to recover or settle at the next
payment"), and whether it outlived the year's adjustment period (pt.e last para, Law 89/2025
Art.66).

Unit users see their own unit's; control officers and leaders a unit of their office (leaders
also of an office under theirs), named by `unit`.
"""
from __future__ import annotations

import re
from datetime import datetime

from ..adapters.identity import Principal
from ..adapters.models import Dossier
from ..adapters.repository import Repository
from ..domain import advances, catalogue, policy
from ..domain.calendar import local_date
from ..domain.errors import InvalidField, NotFound
from . import authz, common, related

_UNIT = re.compile(r"[0-9]{7}")
IN_PROGRESS_EXCLUDED = (catalogue.REFUSED, *related.POSTED)


def register(principal: Principal, *, unit: str | None, open_only: str | None, repo: Repository,
             now: datetime) -> dict:
    authz.require(principal, "advance.list")
    unit_id = principal.unit_id or unit
    if not unit_id:
        raise InvalidField("Cần mã đơn vị (unit).", code="required", field="unit")
    if not _UNIT.fullmatch(unit_id):
        raise InvalidField("Mã đơn vị phải gồm 7 chữ số.", code="invalid_format", field="unit")
    flag = (open_only or "true").lower()
    if flag not in ("true", "false"):
        raise InvalidField("open phải là true hoặc false.", code="invalid_choice", field="open")
    found = repo.unit(unit_id)
    if found is None:
        raise NotFound()
    authz.authorize(principal, "advance.list",
                    policy.Resource(unit_id=unit_id, office_id=found.office_id), repo)
    dossiers = repo.advance_dossiers(unit_id)
    settlements: dict[str, list[Dossier]] = {}
    for d in dossiers:
        if d.payment_kind == "advance_settlement" and d.related_dossier:
            settlements.setdefault(d.related_dossier, []).append(d)
    today = local_date(now)
    items = []
    for advance in sorted((d for d in dossiers if d.payment_kind == "advance"
                           and d.status == catalogue.PAID), key=lambda d: d.received_at):
        entry = _entry(advance, settlements.get(advance.dossier_id, []), repo, today)
        if flag == "false" or entry["left"] > 0:
            items.append(entry)
    return {"unit_id": unit_id, "as_of": common.iso(now), "items": items,
            "open_total": sum(i["left"] for i in items),
            "past_adjustment_period": sum(1 for i in items if i["past_adjustment_period"])}


def _entry(advance: Dossier, settlements: list[Dossier], repo: Repository, today) -> dict:
    settled = sum(related.converted(s) for s in settlements if s.status in related.POSTED)
    pending = sum(related.converted(s) for s in settlements
                  if s.status not in IN_PROGRESS_EXCLUDED)
    advice = (advance.result or {}).get("debit_advice") or {}
    paid_at = advice.get("posted_at") or advance.updated_at
    budget_year = (repo.body(advance).content.get("voucher") or {}).get("budget_year")
    if not isinstance(budget_year, int):
        budget_year = local_date(common.parse_iso(paid_at)).year
    left = int(advance.amount) - settled
    return {
        "dossier_id": advance.dossier_id, "voucher_number": advance.voucher_number,
        "contract_number": advance.contract_number, "account_id": advance.account_id,
        "budget_year": budget_year, "amount": int(advance.amount), "settled": settled,
        "settling": pending, "left": left, "paid_at": paid_at,
        "age_days": (today - local_date(common.parse_iso(paid_at))).days,
        "adjustment_period_ends": advances.adjustment_period_end(budget_year).isoformat(),
        "past_adjustment_period": left > 0 and advances.past_adjustment_period(budget_year, today),
        "settlements": [{"dossier_id": s.dossier_id, "status": s.status,
                         "converted": related.converted(s), "amount": int(s.amount)}
                        for s in sorted(settlements, key=lambda s: s.received_at)],
    }
