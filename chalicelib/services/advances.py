"""The advance register (sổ theo dõi tạm ứng) of a unit: every paid advance with what its
settlements converted, what is still open and how old it is (347/2025 Art.6 cl.2 pt.e: the
remainder of a settlement below its advance is tracked "to recover or settle at the next
payment"), and whether it outlived the year's adjustment period (pt.e last para, Law 89/2025
Art.66).

Unit users see their own unit's; control officers and leaders a unit of their office (leaders
also of an office under theirs), named by `unit`.

An advance still open when its adjustment period ends is flagged to the unit and its office: each
paid advance is put on a watch list keyed by the last day of its period (`watch`, from the
payment.posted event), and a daily sweep (`flag_past_adjustment_period`) reads the periods that
have ended, flags what is still open (a risk flag, listed by GET /v1/alerts and published to the
unit's and the office's topics, once) and drops the entries it has handled.
"""
from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from functools import partial
from typing import Any

from ..adapters.identity import Principal
from ..adapters.models import Dossier, RiskFlag
from ..adapters.notify import office_topic, unit_topic
from ..adapters.repository import Repository
from ..domain import advances, catalogue, notices, policy, risk
from ..domain.calendar import VN_TZ, local_date
from ..domain.errors import InvalidField, NotFound
from ..domain.voucher import grouped
from . import authz, common, related
from .consumers import once

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
        own = settlements.get(advance.dossier_id, [])
        settled = sum(related.converted(s) for s in own if s.status in related.POSTED)
        if flag == "false" or settled < int(advance.amount):   # the body is read only if listed
            items.append(_entry(advance, own, settled, repo, today))
    return {"unit_id": unit_id, "as_of": common.iso(now), "items": items,
            "open_total": sum(i["left"] for i in items),
            "past_adjustment_period": sum(1 for i in items if i["past_adjustment_period"])}


def _entry(advance: Dossier, settlements: list[Dossier], settled: int, repo: Repository,
           today) -> dict:
    pending = sum(related.converted(s) for s in settlements
                  if s.status not in IN_PROGRESS_EXCLUDED)
    advice = (advance.result or {}).get("debit_advice") or {}
    paid_at = advice.get("posted_at") or advance.updated_at
    budget_year = _budget_year(advance, repo)
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


# --- the end of the adjustment period (347/2025 Art.6 cl.2 pt.e last para) ----------------------
LOOKBACK_YEARS = 3      # periods a late sweep still reads (a sweep down for years is an outage)
EVENT = "advance.adjustment_period_ended"


def _budget_year(advance: Dossier, repo: Repository) -> int:
    year = (repo.body(advance).content.get("voucher") or {}).get("budget_year")
    return year if isinstance(year, int) else local_date(common.parse_iso(advance.received_at)).year


def watch(event: dict, *, repo: Repository, alerts: Any) -> None:
    """A paid advance, put on the watch list of its budget year's adjustment period."""
    advance = repo.dossier(event["dossier_id"])
    if advance is None:
        raise LookupError("the dossier of a posted advance is missing")
    period_end = advances.adjustment_period_end(_budget_year(advance, repo)).isoformat()
    alerts.watch_advance(period_end, advance.dossier_id, advance.unit_id, advance.office_id)


def open_amount(advance: Dossier, repo: Repository) -> int:
    """What is left of a paid advance once the settlements posted are counted."""
    return int(advance.amount) - sum(
        related.converted(s) for s in repo.related_dossiers(advance.unit_id, advance.dossier_id)
        if s.payment_kind == "advance_settlement" and s.status in related.POSTED)


def flag_past_adjustment_period(now: datetime, *, repo: Repository, alerts: Any,
                                topics: Any) -> list[str]:
    """The daily sweep: every watched advance whose period has ended is flagged if still open,
    then dropped from the watch list. Returns the ids of the advances flagged."""
    today, flagged = local_date(now), []
    for year in range(today.year - LOOKBACK_YEARS, today.year):
        if not advances.past_adjustment_period(year, today):
            continue
        period_end = advances.adjustment_period_end(year)
        for item in alerts.advances_due(period_end.isoformat()):
            advance = repo.dossier(item.sk)
            left = open_amount(advance, repo) if advance is not None else 0
            if advance is not None and left > 0:
                _flag(advance, year, period_end, left, alerts=alerts, topics=topics, now=now)
                flagged.append(advance.dossier_id)
            alerts.forget_advance(item)   # after the flag: a crash between them flags again, once
    return flagged


def _flag(advance: Dossier, year: int, period_end, left: int, *, alerts: Any, topics: Any,
          now: datetime) -> None:
    rule = risk.ADVANCE_OPEN
    alert_id = f"{advance.dossier_id}#adjustment-{year}#{rule}"
    ended = common.iso(datetime.combine(period_end + timedelta(days=1), time(0), tzinfo=VN_TZ))
    message = (f"Tạm ứng năm ngân sách {year} còn {grouped(left)} đồng chưa thanh toán khi hết "
               f"thời gian chỉnh lý quyết toán ({period_end.strftime('%d/%m/%Y')}): xử lý theo "
               "Điều 66 Luật Ngân sách nhà nước số 89/2025/QH15.")
    facts = {"amount": int(advance.amount), "left": left, "budget_year": year,
             "adjustment_period_ends": period_end.isoformat()}
    alerts.save_flag(RiskFlag(
        f"FLAG#{advance.dossier_id}", f"adjustment-{year}#{rule}", alert_id=alert_id,
        dossier_id=advance.dossier_id, unit_id=advance.unit_id, office_id=advance.office_id,
        procedure=advance.procedure, event=EVENT, rule=rule, message=message, facts=facts,
        occurred_at=ended, flagged_at=common.iso(now), listed_at=f"{ended}#{alert_id}"))
    event = {"event": EVENT, "dossier_id": advance.dossier_id, "unit_id": advance.unit_id}
    alert = notices.flag_alert(risk.Flag(rule, message, facts), event)
    attributes = {"kind": "risk_flag", "rule": rule, "event": EVENT, "unit_id": advance.unit_id,
                  "dossier_id": advance.dossier_id}
    for consumer, topic in (("advance-open-unit", unit_topic(advance.unit_id)),
                            ("advance-open-office", office_topic(advance.office_id))):
        once(consumer, {"event": "risk.flagged", "event_id": alert_id},
             partial(topics.publish, topic, alert.subject, alert.text, alert.sms, attributes),
             now=now)
