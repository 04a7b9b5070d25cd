"""Deadline extensions (gia hạn): a leader of the dossier's office extends the time limit of the
treasury step the dossier waits at, for a cause the law recognises and with a reason; audited.
The new due time is the final deadline the unit is told (347/2025 Art.3 cl.6).

An extension is a decision on the open task like any other: one transaction marks the task decided
("extend"), moves the dossier's due time, records the extension on the dossier, appends the audit
record and resolves an open escalation, so an officer deciding the same task at the same moment
and the extension have exactly one winner. Only then is the token answered; the workflow routes
"extend" back to the same step, which waits again until the new due time in a fresh task.
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from ..adapters.identity import Principal
from ..adapters.repository import Repository
from ..adapters.workflow import TaskExpired, Workflows
from ..domain import catalogue, extension
from ..domain.changes import REMOVE
from ..domain.commands import Extend
from ..domain.errors import Conflict
from . import common, delivery

if TYPE_CHECKING:   # record types only: the repository reads and writes them
    from ..adapters.models import Dossier, Task


def extend(principal: Principal, dossier_id: str, cmd: Extend, *, repo: Repository,
           workflows: Workflows, now: datetime) -> dict:
    dossier = common.load_dossier(repo, principal, dossier_id, "dossier.extend")
    request = extension.parse_extension(cmd)
    task = _waiting_task(dossier, repo, now)
    new_due = repo.office_calendar(dossier.office_id).extended_due(
        common.parse_iso(dossier.due_at), request.working_days)
    at = common.iso(now)
    entry = {"step": task.step, "cause": request.cause, "reason": request.reason,
             "working_days": request.working_days, "from_due_at": dossier.due_at,
             "to_due_at": common.iso(new_due), "by": principal.username, "at": at}
    repo.mark_decided(
        task, dossier, {"due_at": entry["to_due_at"], "extensions": [*(dossier.extensions or []), entry],
                        "updated_at": at, "open_task_id": REMOVE,
                        **delivery.mark("decision", at, task_id=task.task_id,
                                        next_due=entry["to_due_at"])},
        {"at": at, "actor": common.actor(principal, catalogue.LEADER),
         "action": "deadline_extended", "step": task.step, "from_status": dossier.status,
         "to_status": dossier.status, "reason": request.reason,
         "extension": {k: entry[k] for k in ("cause", "working_days", "from_due_at", "to_due_at")}},
        decision=extension.DECISION, by=principal.username, at=at, reason=request.reason,
        request=common.decision_request_id(), resolve_alert=dossier.alert_task_id)
    delivery.answer_decision(workflows, task, {"decision": extension.DECISION,
                                               "timeout_seconds": common.seconds_until(new_due, now)},
                             now)
    return common.dossier_summary(common.reloaded(repo, dossier_id))


def _waiting_task(dossier: Dossier, repo: Repository, now: datetime) -> Task:
    """The open decision task of the extendable step the dossier waits at, or why there is none."""
    not_extendable = Conflict("Hồ sơ không đang chờ KBNN xử lý ở một bước được gia hạn.",
                              code="not_extendable")
    if dossier.status in catalogue.END_STATUSES or not dossier.step or not dossier.open_task_id:
        raise not_extendable
    step = catalogue.get_version(dossier.procedure, dossier.procedure_version).step(dossier.step)
    task = repo.task(dossier.open_task_id) if step.extendable else None
    if task is None or task.kind != "decision" or task.step != step.name:
        raise not_extendable
    if task.state == "decided":  # decided between our two reads: the officer won
        raise Conflict("Nhiệm vụ đã được xử lý hoặc hồ sơ vừa thay đổi.",
                       code="task_already_decided")
    # the overdue task that replaces an expiring one can be extended
    if task.state != "open":
        raise TaskExpired()
    common.refuse_if_token_expiring(task, now)
    return task
