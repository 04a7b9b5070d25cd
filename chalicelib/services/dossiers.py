"""Submitting, correcting and reading dossiers.

A submission is validated completely before anything is written, then committed in one
transaction (dossier + first audit record + idempotency record) and its workflow started under
the dossier's id. A retry with the same Idempotency-Key replays the first answer and re-issues the
(idempotent) start, so a crash between commit and start heals on the client's retry; without a
retry, the transaction's delivery marker lets the sweeper (services/delivery.py) start it. A
submission whose transaction committed is accepted (201) even if Step Functions did not take the
start: the dossier exists, and its workflow follows.
"""
from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from ulid import PureRandomPolicy, ULIDGenerator

from ..adapters import telemetry
from ..adapters.documents import DocumentStore
from ..adapters.identity import Principal
from ..adapters.models import Dossier, DossierBody, IdempotencyRecord, Unit
from ..adapters.repository import IdempotencyKeyTaken, Repository
from ..adapters.statements import StatementStore
from ..adapters.workflow import Workflows
from ..config import Config
from ..domain import audit, budget_year, catalogue, investment, investment_dossier
from ..domain.calendar import local_date
from ..domain.changes import REMOVE, set_or_remove
from ..domain.commands import Submit
from ..domain.errors import BadRequest, Conflict, IdempotencyKeyReused, InvalidField
from ..domain.payee_list import PayeeList
from ..domain.voucher import parse_voucher
from . import (
    authz,
    budget_forms,
    common,
    delivery,
    documents,
    payee_lines,
    projects,
    related,
    signing,
)

log = logging.getLogger(__name__)
IDEMPOTENCY_TTL = timedelta(days=7)
# Dossier ids are ULIDs with 80 fresh random bits each. python-ulid's default generator is
# monotonic: ids made in the same millisecond by one process differ by 1 in their random part,
# so knowing one's own dossier id would name the next unit's. Opaque means unguessable.
_DOSSIER_IDS = ULIDGenerator(policy=PureRandomPolicy())


def new_dossier_id() -> str:
    return str(_DOSSIER_IDS.generate())
_IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_.:\-]{8,128}")


@dataclass(frozen=True)
class Submission:
    procedure: catalogue.ProcedureVersion
    content: dict
    signatures: list
    facts: dict          # procedure-specific dossier attributes (a payment's account, amount...)
    manifest: documents.Manifest
    unit: Unit           # the submitting unit, as the directory has it
    payee_list: PayeeList | None = None   # a payroll's lines (stored beside the body)

    def stored_content(self, store: DocumentStore) -> dict:
        """What the body keeps: the content, its payee list (if any) written apart first."""
        return payee_lines.stash(self.content, self.unit.unit_id, store, self.payee_list)


def _parse_submission(cmd: Submit, principal: Principal, repo: Repository, store: DocumentStore,
                      now: datetime, procedure: catalogue.ProcedureVersion | None = None) -> Submission:
    content = cmd.content
    if not isinstance(content, dict):
        raise InvalidField("Thiếu nội dung hồ sơ.", code="required", field="content")
    code = content.get("procedure")
    if not isinstance(code, str):
        raise InvalidField("Thiếu mã thủ tục.", code="required", field="content.procedure")
    is_new = procedure is None
    if procedure is None:
        procedure = catalogue.version_in_force(code, local_date(now),
                                               budget_year=_declared_budget_year(content),
                                               treaty_signed_on=_declared_treaty(content))
        if procedure.without_login:
            raise InvalidField("Thủ tục này nộp qua POST /v1/registrations.",
                               code="wrong_endpoint", field="content.procedure")
    elif code != procedure.code:
        raise InvalidField("Không được đổi thủ tục khi bổ sung hồ sơ.", code="procedure_changed",
                           field="content.procedure")
    unit = repo.unit(common.unit_of(principal))
    if unit is None:
        raise InvalidField("Đơn vị chưa được đăng ký.", code="unknown_unit", field="content")
    facts = _CONTENT_CHECKS[procedure.content_kind](content, procedure, unit, now, repo)
    if is_new and procedure.budget_year_window:
        # The voucher parsed above, so its budget year is a plausible int. Checked at receipt
        # only: a dossier received in time is supplemented and finished in its year.
        budget_year.require_open(content["voucher"]["budget_year"], local_date(now),
                                 "content.voucher.budget_year")
    listed = payee_lines.check(content, procedure, facts["amount"]) \
        if procedure.content_kind == "payment" else None
    signed = signing.verify_submission(content, cmd.signatures,
                                       required=procedure.required_signers, unit_id=unit.unit_id,
                                       repo=repo, now=now)
    manifest = documents.check_manifest(content, procedure, unit.unit_id, repo=repo, store=store,
                                        now=now)
    facts["on_file"] = manifest.on_file or None
    return Submission(procedure, content, signed, facts, manifest, unit, listed)


def _declared_budget_year(content: dict) -> int | None:
    """The voucher's budget year as sent, if it is one (the version a dossier is bound to may
    depend on it); a malformed one is left to the voucher's own checks. A reconciliation's budget
    year is its period's (347/2025 Art.15 cl.1 pt.d)."""
    if content.get("procedure") == "balance_reconciliation":
        from . import reconciliation
        period = reconciliation.period_of(content)
        return period[1].year if period else None
    voucher = content.get("voucher")
    year = voucher.get("budget_year") if isinstance(voucher, dict) else None
    return year if isinstance(year, int) and not isinstance(year, bool) else None


def _declared_treaty(content: dict) -> date | None:
    """The signing date of the treaty behind ODA or concessional funding from recurrent
    estimates, as sent (347/2025 Art.15 cl.1 pt.c binds by it); anything else, or a malformed
    date, is None here and left to the voucher's own checks."""
    voucher = content.get("voucher")
    funding = voucher.get("funding") if isinstance(voucher, dict) else None
    if not isinstance(funding, dict) or funding.get("estimate") != "recurrent":
        return None
    signed = funding.get("treaty_signed_on")
    try:
        return date.fromisoformat(signed) if isinstance(signed, str) else None
    except ValueError:
        return None


def _payment_facts(content: dict, procedure: catalogue.ProcedureVersion, unit: Any, now: datetime,
                   repo: Repository) -> dict:
    """A voucher whose unit, chapter and account exist and belong together, and whose related
    dossier (an advance settled, a payment adjusted) allows it."""
    voucher = parse_voucher(content.get("voucher"), procedure.payment_kinds,
                            blocks=procedure.voucher_blocks)
    payer = "content.voucher.payer"
    if voucher.unit_code != unit.unit_id:
        raise InvalidField("Mã đơn vị không phải của đơn vị bạn.", code="unit_mismatch",
                           field=f"{payer}.unit_code")
    if unit.chapter_code != voucher.chapter_code:
        raise InvalidField("Mã chương không khớp với đơn vị.", code="chapter_mismatch",
                           field=f"{payer}.chapter_code")
    if repo.account_owner(voucher.account) != unit.unit_id:
        raise InvalidField("Tài khoản không tồn tại hoặc không thuộc đơn vị.", code="unknown_account",
                           field=f"{payer}.account")
    wrong = related.problem(voucher, unit.unit_id, repo)
    if wrong is not None:
        field = "content.voucher.total" if wrong.code == "adjustment_changes_amount" else wrong.field
        raise InvalidField(wrong.message, code=wrong.code, field=field)
    budget_forms.check(content, voucher, unit.unit_id, repo, now)   # Mẫu 08 / Mẫu 09, if sent
    if voucher.investment is not None:   # Decree 254/2025: Art.9 cl.1, Art.12 cl.1-3
        investment_dossier.check_at_receipt(voucher.payment_kind, voucher.budget_year,
                                            voucher.investment, local_date(now))
    recovered = projects.check_submission(content["voucher"], voucher.project_code, unit.unit_id,
                                          repo) if investment.applies_to(procedure.code) else 0
    return {"account_id": voucher.account, "amount": voucher.total,
            "payment_kind": voucher.payment_kind, "voucher_number": voucher.number,
            "contract_number": voucher.contract_number, "related_dossier": voucher.related_dossier,
            "project_code": voucher.project_code,
            # 347/2025 Art.6 cl.2 pt.e: what a settlement converts of its advance (the rest of
            # its total is the difference paid out).
            "advance_converted": voucher.total - voucher.difference_to_pay
            if voucher.payment_kind == "advance_settlement" else recovered or None}


def _specimen_facts(content: dict, procedure: catalogue.ProcedureVersion, unit: Any, now: datetime,
                    repo: Repository) -> dict:
    from . import specimens
    specimens.check(content, unit.unit_id, repo)
    return {}


def _closing_facts(content: dict, procedure: catalogue.ProcedureVersion, unit: Any, now: datetime,
                   repo: Repository) -> dict:
    from . import closing
    return closing.check(content, unit.unit_id, repo, local_date(now))


def _reconciliation_facts(content: dict, procedure: catalogue.ProcedureVersion, unit: Any, now: datetime,
                          repo: Repository) -> dict:
    from . import reconciliation
    return reconciliation.check(content, unit.unit_id, repo, local_date(now))


def _allocation_facts(content: dict, procedure: catalogue.ProcedureVersion, unit: Any,
                      now: datetime, repo: Repository) -> dict:
    from . import allocation
    return allocation.check(content, procedure, unit, now, repo)


def _autopay_facts(content: dict, procedure: catalogue.ProcedureVersion, unit: Any, now: datetime,
                   repo: Repository) -> dict:
    from . import autopay
    return autopay.check(content, unit.unit_id, repo)


_CONTENT_CHECKS = {"payment": _payment_facts, "signature_specimens": _specimen_facts,
                   "temporary_allocation": _allocation_facts, "utility_autopay": _autopay_facts,
                   "account_closing": _closing_facts,
                   "balance_reconciliation": _reconciliation_facts}


def _request_hash(body: Any) -> str:
    return hashlib.sha256(audit.canonical(body)).hexdigest()


def check_idempotency_key(key: str | None) -> None:
    if key is not None and not _IDEMPOTENCY_KEY.fullmatch(key):
        raise BadRequest("Idempotency-Key phải dài 8-128 ký tự chữ, số hoặc _.:-",
                         code="invalid_idempotency_key", field="Idempotency-Key")


def submit(principal: Principal, cmd: Submit, idempotency_key: str | None, *, repo: Repository,
           workflows: Workflows, config: Config, store: DocumentStore,
           now: datetime, correlation_id: str | None = None) -> tuple[int, dict]:
    authz.require(principal, "dossier.submit")
    check_idempotency_key(idempotency_key)
    if correlation_id is not None and not _IDEMPOTENCY_KEY.fullmatch(correlation_id):
        raise BadRequest("X-Correlation-Id phải dài 8-128 ký tự chữ, số hoặc _.:-",
                         code="invalid_correlation_id", field="X-Correlation-Id")
    sub = _parse_submission(cmd, principal, repo, store, now)
    return receive(sub.procedure, cmd.as_sent, idempotency_key, unit_id=sub.unit.unit_id,
                   office_id=sub.unit.office_id, content=sub.stored_content(store),
                   signatures=sub.signatures,
                   actor=common.actor(principal), repo=repo, workflows=workflows, config=config,
                   now=now, to_file=sub.manifest.to_file, correlation_id=correlation_id,
                   **sub.facts)


def receive(proc: catalogue.ProcedureVersion, as_sent: dict, idempotency_key: str | None, *,
            unit_id: str, office_id: str, content: dict, signatures: list, actor: dict,
            repo: Repository, workflows: Workflows, config: Config, now: datetime,
            idempotency_scope: str | None = None, to_file: list | None = None,
            correlation_id: str | None = None, **facts: Any) -> tuple[int, dict]:
    """Every procedure's receipt: one transaction (dossier + first audit record + idempotency
    record), then the workflow started under the dossier's id. `facts` are procedure-specific
    dossier attributes (the payment's account and amount...)."""
    dossier_id = new_dossier_id()
    telemetry.annotate_dossier(dossier_id, correlation_id or dossier_id)
    # The answer is the receipt notice with the promised result date (347/2025 Art.3 cl.4 pt.a).
    due = proc.due_at(now, repo.office_calendar(office_id), payment_kind=facts.get("payment_kind"))
    response = {
        "dossier_id": dossier_id, "procedure": proc.code, "version": proc.version,
        "status": catalogue.UNDER_REVIEW, "step": proc.first_step,
        "received_at": common.iso(now), "due_at": common.iso(due),
    }
    dossier = Dossier(
        dossier_id, procedure=proc.code, procedure_version=proc.version, unit_id=unit_id,
        office_id=office_id, status=catalogue.UNDER_REVIEW, step=proc.first_step,
        received_at=response["received_at"], due_at=response["due_at"],
        updated_at=response["received_at"], supplements_used=0, audit_head=audit.GENESIS, audit_seq=0,
        correlation_id=correlation_id or dossier_id, **facts)
    delivery.mark_new(dossier, response["received_at"])
    scope = f"{idempotency_scope or unit_id}#{idempotency_key}"
    idem = None
    if idempotency_key is not None:
        idem = IdempotencyRecord(scope, request_hash=_request_hash(as_sent), status_code=201,
                                 response=response, expires_at=now + IDEMPOTENCY_TTL)
    first_record = {"at": response["received_at"], "actor": actor, "action": "submitted",
                    "step": None, "from_status": None, "to_status": catalogue.UNDER_REVIEW,
                    "reason": None}
    for legal in to_file or []:
        legal.dossier_id = dossier_id
    try:
        repo.create_dossier(dossier, DossierBody(dossier_id, content=content, signatures=signatures),
                            first_record, idem, also_save=to_file or [])
    except IdempotencyKeyTaken:
        return _replay(scope, as_sent, repo=repo, workflows=workflows, config=config, now=now)
    delivery.start_or_leave_to_sweeper(proc, dossier_id, due, now, workflows, config)
    telemetry.count("Submissions", proc.code)
    return 201, response


def _replay(scope: str, body: Any, *, repo: Repository, workflows: Workflows, config: Config,
            now: datetime) -> tuple[int, dict]:
    record = repo.idempotency(scope)
    if record is None:  # expired between the failed put and this read: treat as taken
        raise Conflict("Yêu cầu trùng đang được xử lý, vui lòng thử lại.", code="retry_later")
    if record.request_hash != _request_hash(body):
        raise IdempotencyKeyReused(field="Idempotency-Key")
    response = dict(record.response)
    telemetry.annotate_dossier(response["dossier_id"])
    proc = catalogue.get_version(response["procedure"], response["version"])
    delivery.start_or_leave_to_sweeper(proc, response["dossier_id"],
                                       common.parse_iso(response["due_at"]), now, workflows, config)
    return int(record.status_code), response


def supplement(principal: Principal, dossier_id: str, cmd: Submit, *, repo: Repository,
               workflows: Workflows, store: DocumentStore, now: datetime) -> dict:
    """The unit's corrected dossier: replaces the content and restarts the legal clock."""
    dossier = common.load_dossier(repo, principal, dossier_id, "dossier.supplement")
    if dossier.status != catalogue.AWAITING_SUPPLEMENT or not dossier.open_task_id:
        raise Conflict("Hồ sơ không ở trạng thái chờ bổ sung.", code="not_awaiting_supplement")
    proc = catalogue.get_version(dossier.procedure, dossier.procedure_version)
    sub = _parse_submission(cmd, principal, repo, store, now, procedure=proc)
    for legal in sub.manifest.to_file:
        legal.dossier_id = dossier_id
    task = repo.task(dossier.open_task_id)
    if task is None or task.state != "open":
        raise Conflict("Hồ sơ không ở trạng thái chờ bổ sung.", code="not_awaiting_supplement")
    common.refuse_if_token_expiring(task, now)
    # The unit's step: a supplement (347/2025 Art.3 cl.5) or a re-reconciliation after a mismatch
    # (347/2025 Art.10 cl.2 pt.c); both are answered by resubmitting the dossier.
    step = dossier.step if dossier.step in ("supplement", "re_reconcile") else "supplement"
    move = catalogue.transition(proc, step, "resubmit",
                                supplements_used=int(dossier.supplements_used), reason=None)
    due = proc.due_at(now, repo.office_calendar(dossier.office_id),
                      payment_kind=sub.facts.get("payment_kind"))
    at, request = common.iso(now), common.decision_request_id()
    facts: dict[str, Any] = {}
    for name, value in sub.facts.items():
        facts.update(set_or_remove(name, value))
    try:
        repo.mark_decided(
            task, dossier,
            {"status": move.to_status, "step": move.next_step, **facts,
             "due_at": common.iso(due), "updated_at": at, "open_task_id": REMOVE,
             **delivery.mark("decision", at, task_id=task.task_id, next_due=common.iso(due))},
            {"at": at, "actor": common.actor(principal), "action": "resubmitted",
             "step": step, "from_status": dossier.status, "to_status": move.to_status,
             "reason": None},
            decision="resubmit", by=principal.username, at=at, reason=None, request=request,
            resolve_alert=dossier.alert_task_id,
            also_save=[DossierBody(dossier_id, content=sub.stored_content(store),
                                   signatures=sub.signatures),
                       *sub.manifest.to_file])
    except Conflict:
        if not common.is_own_decision(repo, task.task_id, request):
            raise
    delivery.answer_decision(workflows, task, {"decision": "resubmit",
                                               "timeout_seconds": common.seconds_until(due, now)}, now)
    return common.dossier_summary(common.reloaded(repo, dossier_id))


def get(principal: Principal, dossier_id: str, *, repo: Repository,
        statements: StatementStore | None = None, now: datetime | None = None) -> dict:
    dossier = common.load_dossier(repo, principal, dossier_id, "dossier.read")
    body = repo.body(dossier)
    detail = common.dossier_detail(dossier, body)
    detail["result"] = budget_forms.with_confirmed_form(dossier, body, detail["result"])
    if statements is not None and dossier.procedure == "balance_reconciliation":
        from . import reconciliation
        detail["reconciliation"] = reconciliation.view(dossier, body.content, repo=repo,
                                                       statements=statements, now=now)
    return detail


def list_for(principal: Principal, *, repo: Repository, status: str | None,
             procedure: str | None, office: str | None, limit: int, cursor: str | None) -> dict:
    """A unit's own dossiers, or an office's: the caller's own office by default, or (leaders)
    an office under it, named by `office`."""
    authz.require(principal, "dossier.list")
    scope_attr, scope_id = common.list_scope(principal, "dossier.list", office, repo)
    page = repo.dossiers(scope_attr, scope_id, limit=limit, cursor=cursor, status=status,
                         procedure=procedure)
    return {"items": [common.dossier_summary(d) for d in page.items],
            "next_cursor": page.next_cursor}


def audit_trail(principal: Principal, dossier_id: str, *, repo: Repository) -> dict:
    dossier = common.load_dossier(repo, principal, dossier_id, "dossier.audit")
    records = repo.audit_records(dossier_id)
    verdict = audit.verify_chain(records, expected_head=dossier.audit_head)
    return {"dossier_id": dossier_id, "records": records, "verification": verdict.public()}



def signature_check(principal: Principal, dossier_id: str, *, repo: Repository,
                    now: datetime, store: DocumentStore | None = None) -> dict:
    """Re-verify a dossier's stored signatures now: mathematics, chain, today's status. A payee
    list kept beside the body is put back first (its hash checked), as it was signed."""
    dossier = common.load_dossier(repo, principal, dossier_id, "dossier.read")
    body = repo.body(dossier)
    content = body.content if store is None else payee_lines.restore(body.content, store)
    results = signing.reverify(content, body.signatures or [], repo=repo,
                               received_at=common.parse_iso(dossier.received_at), now=now)
    return {"dossier_id": dossier_id, "signed_content": "content", "signatures": results}
