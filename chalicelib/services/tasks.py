"""The inbox: opening tasks for waiting workflow steps, and deciding them.

Step Functions cannot list the tokens it waits on, so every waiting step arrives here as a queue
message and becomes a task item. A decision is single-use: a conditional write marks the task
decided (with the dossier's move and its audit record, in one transaction) before the token is
answered, so two officers racing get one success and one 409.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from ..adapters import telemetry
from ..adapters.identity import Principal
from ..adapters.models import Dossier, Task
from ..adapters.repository import Repository, inbox_key
from ..adapters.workflow import Workflows
from ..domain import calendar, catalogue, jsonbody, policy
from ..domain.changes import REMOVE, Add, set_or_remove
from ..domain.commands import Decide
from ..domain.errors import Conflict, Forbidden, InvalidField, NotFound
from . import authz, common, delivery, signing

MAX_REASON = 2000


def task_id_for(dossier_id: str, token: str) -> str:
    """Deterministic per token, so a redelivered message cannot open the same task twice; the
    dossier id prefix lets a decision fetch task and dossier in one read."""
    return f"{dossier_id}-{hashlib.sha256(token.encode()).hexdigest()[:24]}"


def open_task(message: dict, *, repo: Repository, now: datetime) -> bool:
    """Handle one 'a step is waiting' message from the workflow. Idempotent."""
    proc = catalogue.get_version(message["procedure"], message["version"])
    step = proc.step(message["step"])
    dossier = repo.dossier(message["dossier_id"])
    if dossier is None:
        raise LookupError("dossier of a waiting step is missing")  # redelivered, then DLQ
    telemetry.annotate_dossier(dossier.dossier_id, dossier.correlation_id)
    task_id = task_id_for(dossier.dossier_id, message["token"])
    if dossier.open_task_id == task_id:
        return False  # a redelivery of a message already turned into this task
    overdue = bool(message.get("overdue"))
    scope_id = dossier.unit_id if step.scope == "unit" else dossier.office_id
    role = step.roles[0] if step.scope == "office" else "unit"
    previous = repo.task(dossier.open_task_id) if dossier.open_task_id else None
    if overdue:
        due = previous.due_at if previous is not None else dossier.due_at
    else:
        due = common.iso(now + timedelta(seconds=int(message.get("timeout_seconds") or 1)))
    at = common.iso(now)
    task = Task(task_id, kind="decision",
                dossier_id=dossier.dossier_id, procedure=proc.code,
                procedure_version=proc.version, step=step.name, scope=step.scope,
                scope_id=scope_id, role=role, state="open",
                inbox=inbox_key(step.scope, scope_id, role, "open"), token=message["token"],
                overdue=overdue, supplements_used=int(dossier.supplements_used or 0),
                created_at=at, due_at=due)
    # A task opening proves the workflow took what was last committed: no marker is left.
    changes = {"open_task_id": task.task_id, "step": step.name, "status": step.waiting_status,
               "updated_at": at, **delivery.cleared()}
    alert = audit_body = None
    if overdue:   # the time limit was not kept (347/2025 Art.3 cl.6): the leader is told
        alert = Task(f"{task.task_id}-esc", kind="escalation", dossier_id=dossier.dossier_id,
                     procedure=proc.code, procedure_version=proc.version, step=step.name,
                     scope="office", scope_id=dossier.office_id, role=catalogue.LEADER,
                     state="open",
                     inbox=inbox_key("office", dossier.office_id, catalogue.LEADER, "open"),
                     overdue=True, created_at=at, due_at=due)
        changes["alert_task_id"] = alert.task_id
        audit_body = {"at": at, "actor": common.SYSTEM_ACTOR, "action": "escalated",
                      "step": step.name, "from_status": dossier.status,
                      "to_status": step.waiting_status,
                      "reason": "Quá hạn xử lý; đã báo lãnh đạo."}
    expire = previous if previous is not None and previous.state == "open" else None
    opened = repo.open_task(task, dossier, changes, expire=expire, alert=alert,
                            audit_body=audit_body)
    if opened and overdue and not (previous is not None and previous.overdue):
        telemetry.count("SlaBreaches", proc.code)   # the step's deadline passed (not a re-escalation)
    return opened


def _parse_decision(cmd: Decide) -> tuple[str, str | None]:
    decision = jsonbody.required(cmd.decision, str, field="decision",
                                 missing="Thiếu quyết định.",
                                 wrong_type="Quyết định phải là chuỗi ký tự.")
    reason = cmd.reason
    if reason is not None and not isinstance(reason, str):
        raise InvalidField("Lý do phải là chuỗi ký tự.", code="invalid_type", field="reason")
    if reason is not None and len(reason) > MAX_REASON:
        raise InvalidField(f"Lý do dài quá {MAX_REASON} ký tự.", code="too_long", field="reason")
    return decision, (reason.strip() or None) if reason else None


def decide(principal: Principal, task_id: str, cmd: Decide, *, repo: Repository,
           workflows: Workflows, now: datetime) -> dict:
    authz.require(principal, "task.decide")
    well_formed = common.TASK_ID.fullmatch(task_id)
    task, dossier = (repo.task_with_dossier(task_id, well_formed["dossier"]) if well_formed
                     else (None, None))
    task_not_found = NotFound("Không tìm thấy nhiệm vụ.", code="task_not_found")
    if task is None or dossier is None or task.scope != "office":
        raise task_not_found
    telemetry.annotate_dossier(dossier.dossier_id, dossier.correlation_id)
    # Another office's task is "not found", exactly as a task that does not exist: a 403 would
    # confirm the id to an officer of another office. Only a caller who may read the dossier
    # (a leader of an office above) learns that it is someone else's to decide.
    may_read = policy.check(principal, "dossier.read", common.dossier_resource(dossier),
                            parent_of=repo.office_parent) is policy.Verdict.ALLOWED
    authz.authorize(principal, "task.decide", policy.Resource(office_id=task.scope_id), repo,
                    not_found=task_not_found,
                    forbidden=Forbidden("Nhiệm vụ thuộc đơn vị KBNN khác.", code="wrong_office")
                    if may_read else None)
    if task.kind != "decision":
        raise InvalidField("Đây là thông báo, không phải nhiệm vụ cần quyết định.",
                           code="not_a_decision_task", field="task_id")
    if task.role not in principal.roles:
        raise Forbidden("Vai trò của bạn không được quyết định ở bước này.", code="wrong_role")
    decision_name, reason = _parse_decision(cmd)
    if task.state == "expired":
        raise Conflict("Nhiệm vụ đã quá hạn và được chuyển thành nhiệm vụ mới trong hộp việc.",
                       code="task_expired")
    if task.state != "open":
        raise Conflict("Nhiệm vụ đã được xử lý.", code="task_already_decided")
    common.refuse_if_token_expiring(task, now)

    proc = catalogue.get_version(task.procedure, task.procedure_version)
    move = catalogue.transition(proc, task.step, decision_name,
                                supplements_used=int(dossier.supplements_used or 0), reason=reason)
    signed = signing.verify_decision(cmd.signature,
                                     signing.decision_payload(task_id, decision_name,
                                                              cmd.reason),
                                     principal=principal, title=task.role, repo=repo, now=now)
    at = common.iso(now)
    request = common.decision_request_id()
    changes = {"status": move.to_status, "updated_at": at, "open_task_id": REMOVE,
               **set_or_remove("last_reason", reason or None)}
    if move.next_step is not None:
        changes["step"] = move.next_step
    else:
        changes |= {"step": REMOVE, "result": {"outcome": move.to_status, "reason": reason,
                                               "decided_at": at, "decided_by": principal.username}}
    if move.decision.counts_as_supplement:
        changes["supplements_used"] = Add(1)
    timeout = _next_timeout(proc, move, dossier, now, repo.office_calendar(dossier.office_id))
    changes |= delivery.mark("decision", at, task_id=task.task_id,
                             next_due=common.iso(now + timedelta(seconds=timeout)))
    try:
        repo.mark_decided(
            task, dossier, changes,
            {"at": at, "actor": common.actor(principal, task.role), "action": decision_name,
             "step": task.step, "from_status": dossier.status, "to_status": move.to_status,
             "reason": reason, **({"signature": signed} if signed else {})},
            decision=decision_name, by=principal.username, at=at, reason=reason, request=request,
            resolve_alert=dossier.alert_task_id)
    except Conflict:
        if not common.is_own_decision(repo, task_id, request):
            raise
    telemetry.count("Decisions", proc.code)
    delivery.answer_decision(workflows, task, {"decision": decision_name,
                                               "timeout_seconds": timeout}, now)
    return {"task_id": task_id, "dossier_id": dossier.dossier_id, "decision": decision_name,
            "status": move.to_status, "next_step": move.next_step, "decided_at": at}


def _next_timeout(proc: catalogue.ProcedureVersion, move: catalogue.Transition, dossier: Dossier,
                  now: datetime, office_calendar: calendar.WorkingCalendar) -> int:
    """Seconds the next step may wait: its own working days, or what is left of the legal limit."""
    if move.next_step is None:
        return 1
    step = proc.step(move.next_step)
    if step.working_days:
        return common.seconds_until(office_calendar.due_at(now, step.working_days), now)
    return common.seconds_until(common.parse_iso(dossier.due_at), now)


def inbox(principal: Principal, *, repo: Repository, state: str, role: str | None, limit: int,
          cursor: str | None) -> dict:
    authz.require(principal, "task.list")
    if state not in ("open", "decided", "expired"):
        raise InvalidField("state phải là open, decided hoặc expired.", code="invalid_choice",
                           field="state")
    if principal.unit_id is not None:
        key = inbox_key("unit", principal.unit_id, "unit", state)
    else:
        office_roles = sorted(principal.roles & {catalogue.CONTROL_OFFICER, catalogue.LEADER})
        chosen = role or office_roles[0]
        if chosen not in office_roles:
            raise Forbidden("Bạn không có vai trò này.", code="wrong_role", field="role")
        key = inbox_key("office", common.office_of(principal), chosen, state)
    page = repo.inbox(key, limit=limit, cursor=cursor)
    return {"items": [common.task_view(t) for t in page.items], "next_cursor": page.next_cursor}
