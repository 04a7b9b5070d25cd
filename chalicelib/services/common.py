"""Small pieces every use case shares: who acted, timestamps, scoping, public views."""
from __future__ import annotations

import math
import re
from datetime import UTC, datetime

from ..adapters.identity import Principal
from ..adapters.models import Dossier, Task
from ..domain import catalogue
from ..domain.calendar import to_utc_iso
from ..domain.errors import Forbidden, NotFound

SYSTEM_ACTOR = {"kind": "system", "id": "kbnn-workflow"}


def utcnow() -> datetime:
    return datetime.now(UTC)


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


def is_unit_user(principal: Principal) -> bool:
    return principal.unit_id is not None and bool(principal.roles & set(catalogue.UNIT_ROLES))


def is_officer(principal: Principal) -> bool:
    return principal.office_id is not None and bool(
        principal.roles & {catalogue.CONTROL_OFFICER, catalogue.LEADER})


def require_unit_user(principal: Principal) -> str:
    if not is_unit_user(principal):
        raise Forbidden("Chỉ người dùng của đơn vị được thực hiện thao tác này.", code="unit_only")
    return principal.unit_id  # type: ignore[return-value]


def can_see(principal: Principal, dossier: Dossier) -> bool:
    if is_unit_user(principal) and dossier.unit_id == principal.unit_id:
        return True
    return is_officer(principal) and dossier.office_id == principal.office_id


# Ids are checked for shape before they reach DynamoDB: a malformed one is simply "not found".
DOSSIER_ID = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")
TASK_ID = re.compile(r"(?P<dossier>[0-9A-HJKMNP-TV-Z]{26})-[0-9a-f]{24}(-esc)?")


def load_dossier(repo, principal: Principal, dossier_id: str) -> Dossier:
    dossier = repo.dossier(dossier_id) if DOSSIER_ID.fullmatch(dossier_id) else None
    return visible_dossier(principal, dossier)


def visible_dossier(principal: Principal, dossier: Dossier | None) -> Dossier:
    # Another unit's dossier is "not found", not "forbidden": errors must not confirm it exists.
    if dossier is None or not can_see(principal, dossier):
        raise NotFound("Không tìm thấy hồ sơ.", code="dossier_not_found")
    return dossier


def dossier_summary(d: Dossier) -> dict:
    return {
        "dossier_id": d.dossier_id, "procedure": d.procedure, "version": d.procedure_version,
        "unit_id": d.unit_id, "office_id": d.office_id, "account_id": d.account_id,
        "amount": int(d.amount), "payment_kind": d.payment_kind, "voucher_number": d.voucher_number,
        "status": d.status, "step": d.step, "received_at": d.received_at, "due_at": d.due_at,
        "updated_at": d.updated_at, "supplements_used": int(d.supplements_used or 0),
        "result": d.result,
    }


def dossier_detail(d: Dossier) -> dict:
    return {**dossier_summary(d), "content": d.content, "signatures": d.signatures or [],
            "open_task_id": d.open_task_id}


def task_view(t: Task) -> dict:
    proc = catalogue.get_version(t.procedure, t.procedure_version)
    step = proc.step(t.step)
    decidable = t.kind == "decision" and t.state == "open" and t.scope == "office"
    return {
        "task_id": t.task_id, "kind": t.kind, "dossier_id": t.dossier_id,
        "procedure": t.procedure, "version": t.procedure_version, "step": t.step,
        "step_label_vi": step.label_vi, "role": t.role, "state": t.state,
        "overdue": bool(t.overdue), "created_at": t.created_at, "due_at": t.due_at,
        "decision": t.decision, "decided_at": t.decided_at, "reason": t.reason,
        "allowed_decisions": [d.name for d in step.decisions] if decidable else [],
    }
