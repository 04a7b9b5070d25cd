"""Reports from aggregates: the figures the treasury publishes per office, read from counters
kept from the domain events (queue `kbnn-reports`), never by scanning dossiers or units.

Definitions are in docs/reports.md; every figure here is recomputed from the raw records by
tests/integration/test_reports.py and compared.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from ..adapters.aggregates import AggregateStore
from ..adapters.identity import Principal
from ..adapters.repository import Repository
from ..domain import aggregates, policy
from ..domain.commands import MandatoryUnits, PaperVouchers
from ..domain.errors import Forbidden, InvalidField
from . import authz, common, consumers

CONSUMER = "reports"
MAX_DAYS = 366
DEFAULT_DAYS = 30
DEFAULT_WEEKS, MAX_WEEKS = 4, 26
MAX_COUNT = 1_000_000
_OFFICE = re.compile(r"[A-Za-z0-9\-]{1,32}")


# --- kept from the events ----------------------------------------------------------------------
def consume(event: Mapping, *, store: AggregateStore, now: datetime) -> bool:
    """Count one event, once. The idempotent writes go first and the ADD last, so a failure
    retried by the queue never adds twice."""
    name = event.get("event")
    if name not in aggregates.REPORT_EVENTS:
        return False

    def work() -> None:
        if name == "unit.registered":
            store.add_unit(event["office_id"], bool(event.get("mandatory", True)))
            return
        active = aggregates.active_week(event)
        if active is not None:
            store.mark_active(*active, now)
        tally = aggregates.tally(event)
        if tally is not None:
            store.add_counts(tally)
    return consumers.once(CONSUMER, dict(event), work, now=now)


# --- reports -----------------------------------------------------------------------------------
def dossier_figures(principal: Principal, *, office: str | None, first: str | None,
                    last: str | None, repo: Repository, store: AggregateStore,
                    now: datetime) -> dict:
    """Dossiers received, decided, decided on time and late, per local day and procedure."""
    office_id = _office(principal, office, repo)
    start, end = _days(first, last, now)
    totals = aggregates.sum_shards(store.counters(office_id, start.isoformat(), end.isoformat()))
    rows: list[dict[str, Any]] = []
    for (day, procedure), c in sorted(totals.items()):
        rows.append({"date": day, "procedure": procedure, "received": c["received"],
                     "decided": c["decided"], "on_time": c["on_time"], "late": c["late"],
                     "on_time_rate": aggregates.rate(c["on_time"], c["decided"])})
    sums = {k: sum(r[k] for r in rows) for k in ("received", "decided", "on_time", "late")}
    return {"office_id": office_id, "from": start.isoformat(), "to": end.isoformat(),
            "columns": ["date", "procedure", "received", "decided", "on_time", "late",
                        "on_time_rate"],
            "rows": rows, "totals": {**sums, "on_time_rate": aggregates.rate(sums["on_time"],
                                                                             sums["decided"])}}


def participation(principal: Principal, *, office: str | None, repo: Repository,
                  store: AggregateStore, now: datetime) -> dict:
    """Registered mandatory units / the mandatory units the office declared."""
    office_id = _office(principal, office, repo)
    units = store.units(office_id)
    registered = int(units.get("registered", 0))
    mandatory_registered = int(units.get("registered_mandatory", 0))
    declared = units.get("mandatory_units")
    row = {"office_id": office_id, "registered_units": registered,
           "registered_mandatory_units": mandatory_registered,
           "mandatory_units": None if declared is None else int(declared),
           "participation_rate": None if declared is None
           else aggregates.rate(mandatory_registered, int(declared)),
           "published": None if declared is None
           else aggregates.published(mandatory_registered, int(declared))}
    return {**row, "as_of": common.iso(now),
            "declared_by": units.get("mandatory_units_by"),
            "declared_at": units.get("mandatory_units_at"),
            "columns": list(row), "rows": [row]}


def regular_senders(principal: Principal, *, office: str | None, weeks: str | None,
                    on: str | None, repo: Repository, store: AggregateStore,
                    now: datetime) -> dict:
    """Units that sent at least one dossier in each of the last `weeks` ISO weeks (ending with
    the week of `date`) / registered units of the office."""
    office_id = _office(principal, office, repo)
    count = _weeks(weeks)
    day = _day(on, "date") if on is not None else _today(now)
    labels = aggregates.weeks_ending(day, count)
    regular: set[str] | None = None
    for label in labels:
        active = store.active_units(office_id, label)
        regular = active if regular is None else regular & active
        if not regular:
            break
    registered = int(store.units(office_id).get("registered", 0))
    sending = len(regular or ())
    row = {"office_id": office_id, "date": day.isoformat(), "weeks": count,
           "first_week": labels[0], "last_week": labels[-1], "regular_units": sending,
           "registered_units": registered, "share": aggregates.rate(sending, registered),
           "published": aggregates.published(sending, registered)}
    return {**row, "columns": list(row), "rows": [row]}


def online_vouchers(principal: Principal, *, office: str | None, first: str | None,
                    last: str | None, repo: Repository, store: AggregateStore,
                    now: datetime) -> dict:
    """Vouchers sent online / (online + vouchers the office recorded as received on paper)."""
    office_id = _office(principal, office, repo)
    start, end = _days(first, last, now)
    online: dict[str, int] = {}
    for (day, _), c in aggregates.sum_shards(
            store.counters(office_id, start.isoformat(), end.isoformat())).items():
        online[day] = online.get(day, 0) + c["online_vouchers"]
    paper = store.paper_vouchers(office_id, start.isoformat(), end.isoformat())
    rows: list[dict[str, Any]] = []
    for day in sorted(set(online) | set(paper)):
        sent, on_paper = online.get(day, 0), paper.get(day, 0)
        rows.append({"date": day, "online": sent, "paper": on_paper,
                     "paper_recorded": day in paper,
                     "online_share": aggregates.rate(sent, sent + on_paper)})
    sent, on_paper = sum(r["online"] for r in rows), sum(r["paper"] for r in rows)
    return {"office_id": office_id, "from": start.isoformat(), "to": end.isoformat(),
            "columns": ["date", "online", "paper", "paper_recorded", "online_share"],
            "rows": rows, "totals": {"online": sent, "paper": on_paper,
                                     "online_share": aggregates.rate(sent, sent + on_paper),
                                     "published": aggregates.published(sent, sent + on_paper)}}


# --- what an office enters itself ----------------------------------------------------------------
def record_paper_vouchers(principal: Principal, office_id: str, cmd: PaperVouchers, *, repo: Repository,
                          store: AggregateStore, now: datetime) -> dict:
    """The number of vouchers the office received on paper on one day (replaces that day's)."""
    _may(principal, "report.paper_vouchers", office_id, repo)
    raw = cmd.date
    day = _day(raw if isinstance(raw, str) else "", "date")
    if day > _today(now):
        raise InvalidField("Không khai báo cho ngày trong tương lai.", code="date_in_future",
                           field="date")
    count = _count(cmd.count)
    at = common.iso(now)
    store.set_paper_vouchers(office_id, day.isoformat(), count, principal.username, at)
    return {"office_id": office_id, "date": day.isoformat(), "count": count,
            "by": principal.username, "at": at}


def declare_mandatory_units(principal: Principal, office_id: str, cmd: MandatoryUnits, *,
                            repo: Repository, store: AggregateStore, now: datetime) -> dict:
    """How many units of the office must use the service (the list the finance department
    publishes): the denominator of the participation rate."""
    _may(principal, "office.mandatory_units", office_id, repo)
    count = _count(cmd.count)
    at = common.iso(now)
    store.set_mandatory_units(office_id, count, principal.username, at)
    return {"office_id": office_id, "mandatory_units": count, "by": principal.username, "at": at}


# --- parameters --------------------------------------------------------------------------------
def _office(principal: Principal, office: str | None, repo: Repository) -> str:
    authz.require(principal, "report.figures")
    office_id = office or principal.office_id or ""
    if not _OFFICE.fullmatch(office_id):
        raise InvalidField("Mã đơn vị KBNN không hợp lệ.", code="invalid_format", field="office")
    _may(principal, "report.figures", office_id, repo, field="office")
    return office_id


def _may(principal: Principal, action: str, office_id: str, repo: Repository,
         field: str = "office_id") -> None:
    authz.require(principal, action)
    authz.authorize(principal, action, policy.Resource(office_id=office_id), repo,
                    forbidden=Forbidden("Ngoài phạm vi đơn vị KBNN của bạn.", code="out_of_scope",
                                        field=field))


def _today(now: datetime) -> date:
    return date.fromisoformat(aggregates.local_day(common.iso(now)))


def _day(raw: str, field: str) -> date:
    day = aggregates.parse_day(raw)
    if day is None:
        raise InvalidField("Ngày phải có dạng YYYY-MM-DD.", code="invalid_format", field=field)
    return day


def _days(first: str | None, last: str | None, now: datetime) -> tuple[date, date]:
    end = _day(last, "to") if last is not None else _today(now)
    start = _day(first, "from") if first is not None else end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end or (end - start).days >= MAX_DAYS:
        raise InvalidField("Khoảng ngày không hợp lệ: từ ngày không sau đến ngày, tối đa 366 ngày.",
                           code="invalid_range", field="from")
    return start, end


def _weeks(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_WEEKS
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_WEEKS:
        raise InvalidField("weeks phải từ 1 đến 26.", code="invalid_weeks", field="weeks")
    return int(raw)


def _count(count: Any) -> int:
    if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_COUNT:
        raise InvalidField("count phải là số nguyên từ 0 đến 1000000.", code="invalid_count",
                           field="count")
    return count
