"""Small pieces every use case shares: who acted, timestamps, scoping, public views."""
from __future__ import annotations

import logging
import math
import re
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from ..adapters import telemetry
from ..adapters.identity import Principal
from ..adapters.workflow import TaskExpired
from ..domain import catalogue, policy
from ..domain.calendar import to_utc_iso
from ..domain.errors import Forbidden, InvalidField, NotFound

if TYPE_CHECKING:   # record types only: the repository reads and writes them
    from ..adapters.models import Dossier, DossierBody, Task
    from ..adapters.repository import Repository

SYSTEM_ACTOR = {"kind": "system", "id": "kbnn-workflow"}
OVERDUE_TOKEN_LIFE = timedelta(hours=24)   # an overdue step re-escalates daily (workflows/)
TOKEN_MARGIN = timedelta(minutes=1)
log = logging.getLogger(__name__)


def iso(dt: datetime) -> str:
    return to_utc_iso(dt)


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def seconds_until(due: datetime, now: datetime) -> int:
    """Step Functions timeouts are positive whole seconds; an overdue step escalates at once."""
    return max(1, math.ceil((due - now).total_seconds()))


def actor(principal: Principal, role: str | None = None) -> dict:
    return {"kind": "user", "sub": principal.sub, "username": principal.username,
            "role": role or ",".join(sorted(principal.roles))}


# Ids are checked for shape before they reach DynamoDB: a malformed one is simply "not found".
DOSSIER_ID = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")
TASK_ID = re.compile(r"(?P<dossier>[0-9A-HJKMNP-TV-Z]{26})-[0-9a-f]{24}(-esc)?")
DOSSIER_NOT_FOUND = "Không tìm thấy hồ sơ."


def _incomplete_profile() -> Forbidden:
    return Forbidden("Tài khoản chưa được gắn với đơn vị hoặc đơn vị KBNN.", code="incomplete_profile")


def unit_of(principal: Principal) -> str:
    """The caller's unit, for an action only unit users may take (authz.require has checked
    that a unit role comes with its unit; an account without one is broken, not guessed at)."""
    if principal.unit_id is None:
        raise _incomplete_profile()
    return principal.unit_id


def office_of(principal: Principal) -> str:
    """The caller's office, for an action only treasury officers may take."""
    if principal.office_id is None:
        raise _incomplete_profile()
    return principal.office_id


def reloaded(repo: Repository, dossier_id: str) -> Dossier:
    """A dossier read again after this request changed it (it exists: dossiers are never deleted)."""
    dossier = repo.dossier(dossier_id)
    if dossier is None:
        raise NotFound(DOSSIER_NOT_FOUND, code="dossier_not_found")
    return dossier


def dossier_resource(dossier: Dossier) -> policy.Resource:
    return policy.Resource(unit_id=dossier.unit_id, office_id=dossier.office_id)


def load_dossier(repo, principal: Principal, dossier_id: str, action: str) -> Dossier:
    """The dossier if `action` on it is within the caller's grant; otherwise "not found", so an
    error never confirms that another unit's dossier exists."""
    from . import authz
    authz.require(principal, action)
    missing = NotFound(DOSSIER_NOT_FOUND, code="dossier_not_found")
    dossier = repo.dossier(dossier_id) if DOSSIER_ID.fullmatch(dossier_id) else None
    if dossier is None:
        raise missing
    authz.authorize(principal, action, dossier_resource(dossier), repo, not_found=missing)
    telemetry.annotate_dossier(dossier.dossier_id, dossier.correlation_id)
    return dossier


def list_scope(principal: Principal, action: str, office: str | None, repo) -> tuple[str, str]:
    """Whose records a list shows: a unit user's own unit; a treasury user's own office or (for
    leaders) an office under it, named by `office`."""
    from . import authz
    if principal.unit_id is not None:
        return "unit_id", principal.unit_id
    scope_id = office or principal.office_id or ""
    if not re.fullmatch(r"[A-Za-z0-9\-]{1,32}", scope_id):
        raise InvalidField("Mã đơn vị KBNN không hợp lệ.", code="invalid_format", field="office")
    authz.authorize(principal, action, policy.Resource(office_id=scope_id), repo,
                    forbidden=Forbidden("Ngoài phạm vi đơn vị KBNN của bạn.", code="out_of_scope",
                                        field="office"))
    return "office_id", scope_id


def dossier_summary(d: Dossier) -> dict:
    return {
        "dossier_id": d.dossier_id, "procedure": d.procedure, "version": d.procedure_version,
        "unit_id": d.unit_id, "office_id": d.office_id, "account_id": d.account_id,
        "amount": None if d.amount is None else int(d.amount), "payment_kind": d.payment_kind,
        "voucher_number": d.voucher_number,
        "status": d.status, "step": d.step, "received_at": d.received_at, "due_at": d.due_at,
        "updated_at": d.updated_at, "supplements_used": int(d.supplements_used or 0),
        "result": d.result,
    }


def dossier_detail(d: Dossier, body: DossierBody) -> dict:
    return {**dossier_summary(d), "content": body.content, "signatures": body.signatures or [],
            "open_task_id": d.open_task_id, "extensions": d.extensions or []}


def task_view(t: Task) -> dict:
    proc = catalogue.get_version(t.procedure, t.procedure_version)
    step = proc.step(t.step)
    decidable = t.kind == "decision" and t.state == "open" and t.scope == "office"
    allowed = catalogue.available_decisions(proc, t.step,
                                            supplements_used=int(t.supplements_used or 0)) \
        if decidable else ()
    return {
        "task_id": t.task_id, "kind": t.kind, "dossier_id": t.dossier_id,
        "procedure": t.procedure, "version": t.procedure_version, "step": t.step,
        "step_label_vi": step.label_vi, "role": t.role, "state": t.state,
        "overdue": bool(t.overdue), "created_at": t.created_at, "due_at": t.due_at,
        "decision": t.decision, "decided_at": t.decided_at, "reason": t.reason,
        "allowed_decisions": [d.name for d in allowed],
    }


def decision_request_id() -> str:
    """A fresh id per decision request, stored with the decision: its own retried write (an
    attempt that timed out but committed) is told apart from a rival request, even the same
    officer's identical one sent twice at once."""
    return uuid.uuid4().hex


def is_own_decision(repo, task_id: str, request: str) -> bool:
    """After a Conflict on recording a decision: is what is stored exactly this request's write?
    (A timed-out attempt may have committed before botocore's retry found the task decided.)"""
    stored = repo.task(task_id)
    return stored is not None and stored.decided_by_request == request


def token_may_have_expired(task: Task, now: datetime) -> bool:
    """A step that is not overdue times out at its task's due time, an overdue one a day after it
    re-opened; within TOKEN_MARGIN of that (the clocks of Step Functions and ours), the token may
    already be gone."""
    deadline = parse_iso(task.created_at) + OVERDUE_TOKEN_LIFE if task.overdue \
        else parse_iso(task.due_at)
    return now >= deadline - TOKEN_MARGIN


def refuse_if_token_expiring(task: Task, now: datetime) -> None:
    """Refuse a decision before writing anything if its token may be gone: a decision recorded
    but never delivered would leave the dossier decided while the workflow re-opens the step.
    The overdue task that replaces it takes the decision."""
    if token_may_have_expired(task, now):
        raise TaskExpired()
