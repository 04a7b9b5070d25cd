"""Late dossiers: the leader must see every dossier that is late without a stated reason
(hồ sơ chậm không rõ lý do), and the officer records why a late dossier is late: the time limits
must be kept (347/2025 Art.3 cl.6)."""
from __future__ import annotations

import re
from datetime import datetime

from ..adapters.identity import Principal
from ..adapters.repository import Repository, inbox_key
from ..domain import catalogue, policy
from ..domain.commands import DelayReason
from ..domain.errors import Conflict, Forbidden, InvalidField
from . import authz, common

MAX_REASON = 1000


def overdue(principal: Principal, *, office: str | None, without_reason: str | None,
            repo: Repository, now: datetime) -> dict:
    """Every dossier of the office whose open treasury step is past its due time; by default
    (`without_reason` "true") only those with no recorded reason."""
    authz.require(principal, "report.overdue")
    flag = (without_reason or "true").lower()
    if flag not in ("true", "false"):
        raise InvalidField("without_reason phải là true hoặc false.", code="invalid_choice",
                           field="without_reason")
    only_unexplained = flag == "true"
    office_id = office or principal.office_id or ""
    if not re.fullmatch(r"[A-Za-z0-9\-]{1,32}", office_id):
        raise InvalidField("Mã đơn vị KBNN không hợp lệ.", code="invalid_format", field="office")
    authz.authorize(principal, "report.overdue", policy.Resource(office_id=office_id), repo,
                    forbidden=Forbidden("Ngoài phạm vi đơn vị KBNN của bạn.", code="out_of_scope",
                                        field="office"))
    at = common.iso(now)
    tasks = [t for role in (catalogue.CONTROL_OFFICER, catalogue.LEADER)
             for t in repo.overdue_tasks(inbox_key("office", office_id, role, "open"), at)]
    found = repo.dossiers_by_id([t.dossier_id for t in tasks])
    items = []
    for task in sorted(tasks, key=lambda t: t.due_at):
        dossier = found.get(task.dossier_id)
        if dossier is None or (only_unexplained and dossier.delay_reason):
            continue
        late = int((now - common.parse_iso(task.due_at)).total_seconds())
        items.append({"dossier_id": dossier.dossier_id, "procedure": dossier.procedure,
                      "version": dossier.procedure_version, "unit_id": dossier.unit_id,
                      "status": dossier.status, "step": task.step, "role": task.role,
                      "due_at": task.due_at, "late_seconds": late,
                      "delay_reason": dossier.delay_reason})
    return {"office_id": office_id, "as_of": at, "without_reason_only": only_unexplained,
            "items": items}


def record_delay_reason(principal: Principal, dossier_id: str, cmd: DelayReason, *, repo: Repository,
                        now: datetime) -> dict:
    dossier = common.load_dossier(repo, principal, dossier_id, "dossier.delay_reason")
    reason = cmd.reason
    if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_REASON:
        raise InvalidField("Cần lý do chậm (tối đa 1000 ký tự).", code="reason_required",
                           field="reason")
    late = dossier.status not in catalogue.END_STATUSES and common.parse_iso(dossier.due_at) < now
    if not late:
        raise Conflict("Hồ sơ chưa quá hạn.", code="not_late")
    at = common.iso(now)
    note = {"reason": reason.strip(), "by": principal.username, "at": at}
    repo.note_on_dossier(dossier, {"delay_reason": note, "updated_at": at},
                         {"at": at, "actor": common.actor(principal), "action": "delay_reason",
                          "step": dossier.step, "from_status": dossier.status,
                          "to_status": dossier.status, "reason": note["reason"]})
    return {"dossier_id": dossier_id, "delay_reason": note}
