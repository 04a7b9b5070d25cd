"""An office's own working-day calendar: compensatory days off it declares (a bridge day the
government announces late, a local closure) push every deadline computed after them."""
from __future__ import annotations

from datetime import date, datetime

from ..adapters.identity import Principal
from ..adapters.repository import Repository
from ..domain import policy
from ..domain.calendar import local_date
from ..domain.commands import AddDayOff
from ..domain.errors import Forbidden, InvalidField
from . import authz, common


def add_day_off(principal: Principal, office_id: str, cmd: AddDayOff, *, repo: Repository,
                now: datetime) -> dict:
    authz.require(principal, "office.calendar")
    authz.authorize(principal, "office.calendar", policy.Resource(office_id=office_id), repo,
                    forbidden=Forbidden("Chỉ lãnh đạo của đơn vị KBNN này.", code="out_of_scope"))
    raw, reason = cmd.date, cmd.reason
    try:
        day = date.fromisoformat(raw) if isinstance(raw, str) and len(raw) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise InvalidField("Ngày phải có dạng YYYY-MM-DD.", code="invalid_format", field="date")
    if day < local_date(now):
        raise InvalidField("Không khai báo ngày nghỉ trong quá khứ.", code="date_in_past", field="date")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 500:
        raise InvalidField("Cần lý do (tối đa 500 ký tự).", code="reason_required", field="reason")
    entry = {"date": day.isoformat(), "reason": reason.strip(), "by": principal.username,
             "at": common.iso(now)}
    repo.add_office_day_off(office_id, entry)
    return {"office_id": office_id, "day_off": entry}
