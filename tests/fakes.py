"""The tests' one in-memory stand-in for the DynamoDB edge: `MemoryRepository` (for
chalicelib.adapters.repository.Repository) and `MemoryLedger` (for the posting adapter,
chalicelib.adapters.ledger), so that service tests run in milliseconds without AWS.

A fake is only worth what it agrees with: tests/contract/repository.py runs the same contract
against MemoryRepository (tests/unit/test_repository_contract_in_memory.py) and against the real repository
on moto (tests/integration/test_repository_contract_on_moto.py). It keeps what DynamoDB keeps — a copy
of each item as written, never the caller's object — and refuses what DynamoDB's conditions
refuse: a taken idempotency key, a task decided meanwhile, a dossier that moved (its version), an
audit sequence number already used. As PynamoDB does after a transaction, the caller's objects
get their new version; the values the changes set are only in the stored copy (read it back).
Changes are plain data (chalicelib/domain/changes.py), translated by the adapter's own
`dynamo.actions()`, so a change the real adapter could not write fails here too.
"""
from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.update import AddAction, DeleteAction, RemoveAction

from chalicelib.adapters import dynamo
from chalicelib.adapters.models import (
    Account,
    AuditRecord,
    Dossier,
    DossierBody,
    IdempotencyRecord,
    LegalDocument,
    Project,
    RegisteredCertificate,
    Task,
    Unit,
)
from chalicelib.adapters.repository import IdempotencyKeyTaken, Page, closed_inbox
from chalicelib.domain import audit, catalogue
from chalicelib.domain.calendar import DEFAULT_CALENDAR, WorkingCalendar
from chalicelib.domain.changes import REMOVE, Changes
from chalicelib.domain.errors import BadRequest, Conflict


def apply(obj: Any, actions: Iterable[Any]) -> None:
    """Do what DynamoDB does with SET / REMOVE / ADD / DELETE to a model instance (or a plain
    namespace, whose numbers are ints)."""
    for action in actions:
        path, *rest = action.values
        name = path.path[0]
        if isinstance(action, RemoveAction):
            setattr(obj, name, None)
            continue
        ((kind, raw),) = rest[0].value.items()
        attribute: Any = getattr(type(obj), name, None)
        if hasattr(attribute, "deserialize"):
            value = attribute.deserialize(raw)
        else:
            value = int(raw) if kind == "N" else raw
        if isinstance(action, AddAction):
            current = getattr(obj, name, None)
            value = (current or set()) | value if isinstance(value, set) else (current or 0) + value
        elif isinstance(action, DeleteAction):
            value = (getattr(obj, name, None) or set()) - value or None
        setattr(obj, name, value)


def apply_changes(obj: Any, changes: Changes) -> None:
    """Plain changes, through the real adapter's translation into update actions."""
    apply(obj, dynamo.actions(type(obj), changes))


def stored(item: Any) -> Any:
    """A copy of a model instance as DynamoDB would hand it back."""
    return type(item).from_raw_data(item.serialize())


def _moved(kept: Any, given: Any) -> bool:
    """The optimistic lock PynamoDB puts on a versioned item: the caller's version is not the
    stored one (None: the caller believes it new)."""
    return getattr(kept, "version", None) != getattr(given, "version", None)


def _bump(obj: Any) -> None:
    if hasattr(type(obj), "version"):
        obj.version = (obj.version or 0) + 1


class MemoryRepository:
    """Repository's public interface, in memory. Seed it with `put(...)` (units, accounts, offices)."""

    def __init__(self, *, offices: dict[str, str | None] | None = None,
                 ca_pems: Iterable[str] = ()) -> None:
        self.items: dict[tuple[type, str], Any] = {}
        self.audit: dict[str, list[dict]] = {}
        self.offices = dict(offices or {"KV1": "KBNN", "KV1-CG": "KV1", "KV2": "KBNN", "KBNN": None})
        self.ca_pems = list(ca_pems)

    # --- seeding and raw access (tests only) -------------------------------------------------
    def put(self, *items: Any) -> None:
        for item in items:
            self.items[(type(item), _key(item))] = stored(item)

    def _kept(self, model: type, key: str) -> Any:
        item = self.items.get((model, key))
        return stored(item) if item is not None else None

    # --- directory --------------------------------------------------------------------------
    def unit(self, unit_id: str) -> Unit | None:
        return self._kept(Unit, f"UNIT#{unit_id}")

    def account(self, account_id: str) -> Account | None:
        return self._kept(Account, f"ACCOUNT#{account_id}")

    def legal_documents(self, keys: list[str]) -> dict[str, LegalDocument]:
        return {key: doc for key in keys if (doc := self._kept(LegalDocument, key)) is not None}

    def account_owner(self, account_id: str) -> str | None:
        account = self.account(account_id)
        return account.unit_id if account is not None else None

    def create_accounts(self, accounts: list[Account]) -> None:
        for account in accounts:
            if (Account, _key(account)) not in self.items:
                self.put(account)

    def create_unit(self, unit: Unit, accounts: list[Account]) -> bool:
        """The unit and its accounts, all or nothing; True if created now or earlier by the same
        registration, False if the unit (or one of its accounts) came from elsewhere."""
        if (Unit, unit.pk) in self.items or any((Account, a.pk) in self.items for a in accounts):
            existing = self.items.get((Unit, unit.pk))
            return existing is not None and existing.registered_by == unit.registered_by
        for item in (unit, *accounts):
            _bump(item)
            self.put(item)
        return True

    def office_exists(self, office_id: str) -> bool:
        return office_id in self.offices

    def office_parent(self, office_id: str) -> str | None:
        return self.offices.get(office_id)

    def office_name(self, office_id: str) -> str | None:
        return f"Kho bạc Nhà nước {office_id}" if office_id in self.offices else None

    def office_calendar(self, office_id: str) -> WorkingCalendar:
        return DEFAULT_CALENDAR

    def trusted_ca_pems(self) -> list[str]:
        return list(self.ca_pems)

    # --- certificates -----------------------------------------------------------------------
    def certificate(self, fingerprint: str) -> RegisteredCertificate | None:
        return self._kept(RegisteredCertificate, fingerprint)

    def certificates(self, fingerprints: list[str]) -> dict[str, RegisteredCertificate]:
        return {f: c for f in dict.fromkeys(fingerprints) if (c := self.certificate(f)) is not None}

    def _all_certificates(self) -> list[RegisteredCertificate]:
        return [stored(c) for (model, _), c in self.items.items() if model is RegisteredCertificate]

    def certificates_by_serial(self, serial_key: str) -> list[RegisteredCertificate]:
        return [c for c in self._all_certificates() if c.serial_key == serial_key]

    def holder_certificates(self, holder: str) -> list[RegisteredCertificate]:
        """Newest first, as the by_holder index is read."""
        return sorted((c for c in self._all_certificates() if c.holder == holder),
                      key=lambda c: c.registered_at, reverse=True)

    def register_certificate(self, record: RegisteredCertificate, unit: Unit | None,
                             limit: int | None) -> None:
        """Bind the certificate and add its owner to the unit's signers for the title, unless that
        would make more than `limit` people; Conflict with the repository's codes."""
        if (RegisteredCertificate, record.fingerprint) in self.items:
            raise Conflict("Chứng thư số này đã được đăng ký.",
                           code="certificate_already_registered", field="certificate")
        kept_unit = self.items.get((Unit, unit.pk)) if unit is not None and limit is not None else None
        if kept_unit is not None:
            name = f"{record.title}_signers"
            signers = set(getattr(kept_unit, name) or ())
            if record.owner_sub not in signers and limit is not None and len(signers) >= limit:
                raise Conflict(f"Đơn vị đã có đủ {limit} người ký cho chức danh này.",
                               code="signer_limit_reached", field="title")
            setattr(kept_unit, name, signers | {record.owner_sub})
        _bump(record)
        self.put(record)

    def approve_certificate(self, record: RegisteredCertificate, at: str) -> bool:
        """pending -> active; False if it was not pending."""
        kept = self.items.get((RegisteredCertificate, record.fingerprint))
        if kept is None or kept.status != "pending":
            return False
        kept.status = record.status = "active"
        return True

    def revoke_certificate(self, record: RegisteredCertificate, by: str, at: str, reason: str,
                           unit: Unit | None, release_signer: bool) -> None:
        """active or pending -> revoked (Conflict certificate_already_revoked otherwise), and the
        owner's place among the unit's signers freed when `release_signer`."""
        kept = self.items.get((RegisteredCertificate, record.fingerprint))
        if kept is None or kept.status not in ("active", "pending") or _moved(kept, record):
            raise Conflict("Chứng thư số đã bị thu hồi.", code="certificate_already_revoked")
        self._update(kept, record, {"status": "revoked", "revoked_at": at, "revoked_by": by,
                                    "revocation_reason": reason})
        kept_unit = self.items.get((Unit, unit.pk)) if unit is not None and release_signer else None
        if kept_unit is not None:
            name = f"{record.title}_signers"
            setattr(kept_unit, name, set(getattr(kept_unit, name) or ()) - {record.owner_sub} or None)

    # --- dossiers ---------------------------------------------------------------------------
    def dossier(self, dossier_id: str) -> Dossier | None:
        return self._kept(Dossier, dossier_id)

    def body(self, dossier: Dossier) -> DossierBody:
        body = self._kept(DossierBody, dossier.dossier_id)
        if body is None:
            raise LookupError("a dossier without its body")
        return body

    def idempotency(self, key: str) -> IdempotencyRecord | None:
        return self._kept(IdempotencyRecord, key)

    def create_dossier(self, dossier: Dossier, body: DossierBody, audit_body: dict,
                       idempotency: IdempotencyRecord | None, also_save: Iterable[Any] = ()) -> None:
        if idempotency is not None and (IdempotencyRecord, idempotency.key) in self.items:
            raise IdempotencyKeyTaken()
        if (Dossier, dossier.dossier_id) in self.items:
            raise Conflict("dossier exists", code="dossier_exists")
        dossier.audit_seq, dossier.audit_head = self._append_audit(dossier, audit_body)
        for item in (idempotency, dossier, body, *also_save):
            if item is not None:
                _bump(item)
                self.put(item)

    def dossiers(self, scope_attr: str, scope_id: str, *, limit: int, cursor: str | None,
                 status: str | None, procedure: str | None) -> Page:
        """Newest first by received_at; like DynamoDB, the filters apply after `limit` items were
        read, so a page may be short and still have a next one."""
        index = sorted((d for (model, _), d in self.items.items()
                        if model is Dossier and getattr(d, scope_attr) == scope_id),
                       key=lambda d: (d.received_at, d.dossier_id), reverse=True)
        after = _decode(cursor, scope_attr, scope_id)
        if after is not None:
            index = [d for d in index if (d.received_at, d.dossier_id) < after]
        read = index[:limit]
        kept = [stored(d) for d in read if (not status or d.status == status)
                and (not procedure or d.procedure == procedure)]
        more = len(index) > limit
        return Page(kept, _encode(scope_attr, scope_id, read[-1]) if more else None)

    def related_dossiers(self, unit_id: str, related_to: str) -> list[Dossier]:
        return [stored(d) for (model, _), d in self.items.items() if model is Dossier
                and d.unit_id == unit_id and d.related_dossier == related_to]

    def advance_dossiers(self, unit_id: str) -> list[Dossier]:
        return [stored(d) for (model, _), d in self.items.items() if model is Dossier
                and d.unit_id == unit_id and d.payment_kind in ("advance", "advance_settlement")]

    def project(self, project_code: str) -> Project | None:
        return self._kept(Project, Project.key(project_code))

    def save_project(self, project: Project) -> None:
        if _moved(self.items.get((Project, _key(project))), project):
            raise Conflict("Dự án vừa được cập nhật, hãy đọc lại.", code="project_changed")
        _bump(project)   # as PynamoDB's save does to the caller's instance
        self.put(project)

    def project_dossiers(self, unit_id: str, project_code: str) -> list[Dossier]:
        return [stored(d) for (model, _), d in self.items.items() if model is Dossier
                and d.unit_id == unit_id and d.project_code == project_code]

    def contract_dossiers(self, unit_id: str, contract_number: str) -> list[Dossier]:
        return [stored(d) for (model, _), d in self.items.items() if model is Dossier
                and d.unit_id == unit_id and d.contract_number == contract_number]

    def paid_under_contract(self, unit_id: str, contract_number: str, excluding: str) -> int:
        return sum(int(d.amount) for (model, _), d in self.items.items() if model is Dossier
                   and d.unit_id == unit_id and d.contract_number == contract_number
                   and d.status == "paid" and d.dossier_id != excluding)

    def dossiers_by_id(self, dossier_ids: list[str]) -> dict[str, Dossier]:
        return {i: d for i in dict.fromkeys(dossier_ids) if (d := self.dossier(i)) is not None}

    def audit_records(self, dossier_id: str) -> list[dict]:
        return [dict(r) for r in self.audit.get(dossier_id, [])]

    def note_on_dossier(self, dossier: Dossier, changes: Changes, audit_body: dict) -> None:
        self.move_dossier(dossier, changes, audit_body)

    # --- tasks ------------------------------------------------------------------------------
    def task(self, task_id: str) -> Task | None:
        return self._kept(Task, task_id)

    def task_with_dossier(self, task_id: str, dossier_id: str) -> tuple[Task | None, Dossier | None]:
        return self.task(task_id), self.dossier(dossier_id)

    def open_task(self, task: Task, dossier: Dossier, dossier_changes: Changes, *,
                  expire: Task | None = None, alert: Task | None = None,
                  audit_body: dict | None = None) -> bool:
        """Record an open task and point the dossier at it; False if it was already recorded.
        Any other refused condition (the dossier moved, the alert exists) fails the transaction
        as DynamoDB does, which the real adapter lets through."""
        if (Task, task.task_id) in self.items:
            return False
        kept = self.items.get((Dossier, dossier.dossier_id))
        kept_expire = self.items.get((Task, expire.task_id)) if expire is not None else None
        if kept is None or _moved(kept, dossier) \
                or (expire is not None and (kept_expire is None or _moved(kept_expire, expire))) \
                or (alert is not None and (Task, alert.task_id) in self.items):
            raise TransactWriteError("Failed to write transaction items")
        head: dict[str, Any] = {}
        if audit_body is not None:
            try:
                seq, hash_ = self._append_audit(dossier, audit_body)
            except Conflict as taken:   # the audit record's sequence number is not free
                raise TransactWriteError("Failed to write transaction items") from taken
            head = {"audit_seq": seq, "audit_head": hash_}
        _bump(task)
        self.put(task)
        self._update(kept, dossier, {**dossier_changes, **head})
        if expire is not None:
            self._update(kept_expire, expire,
                         {"state": "expired", "inbox": closed_inbox(expire, "expired")})
        if alert is not None:
            _bump(alert)
            self.put(alert)
        return True

    def inbox(self, inbox_key: str, *, limit: int, cursor: str | None) -> Page:
        index = sorted((t for (model, _), t in self.items.items()
                        if model is Task and t.inbox == inbox_key),
                       key=lambda t: (t.due_at, t.task_id))
        after = _decode(cursor, "inbox", inbox_key)
        if after is not None:
            index = [t for t in index if (t.due_at, t.task_id) > after]
        read = index[:limit]
        more = len(index) > limit
        return Page([stored(t) for t in read],
                    _encode("inbox", inbox_key, read[-1], ("due_at", "task_id")) if more else None)

    def overdue_tasks(self, inbox_key: str, now_iso: str) -> list[Task]:
        return [stored(t) for (model, _), t in sorted(self.items.items(), key=lambda kv: kv[0][1])
                if model is Task and t.inbox == inbox_key and t.due_at < now_iso
                and t.kind == "decision"]

    def mark_decided(self, task: Task, dossier: Dossier, dossier_changes: Changes,
                     audit_body: dict, *, decision: str, by: str, at: str, reason: str | None,
                     request: str, resolve_alert: str | None = None,
                     also_save: Iterable[Any] = ()) -> None:
        """The task decided (only if still open: one winner), the dossier's move and its audit
        record, all or nothing; Conflict (task_already_decided) if the task was decided
        meanwhile or the dossier moved under the caller."""
        decided = {"state": "decided", "inbox": closed_inbox(task, "decided"), "decision": decision,
                   "decided_at": at, "decided_by": by, "reason": reason,
                   "decided_by_request": request}
        self._commit(dossier, dossier_changes, audit_body, task=task, task_changes=decided,
                     resolve_alert=resolve_alert, also_save=also_save)

    def move_dossier(self, dossier: Dossier, changes: Changes, audit_body: dict, *,
                     resolve_alert: str | None = None, account: Account | None = None,
                     account_changes: Changes | None = None, also_save: Iterable[Any] = ()) -> None:
        """A system step's move of the dossier (and the account it changes) with its audit
        record, all or nothing; Conflict if the dossier or the account moved under the caller."""
        self._commit(dossier, changes, audit_body, resolve_alert=resolve_alert, account=account,
                     account_changes=account_changes, also_save=also_save)

    def _commit(self, dossier: Dossier, dossier_changes: Changes, audit_body: dict, *,
                task: Task | None = None, task_changes: Changes | None = None,
                resolve_alert: str | None = None, account: Account | None = None,
                account_changes: Changes | None = None, also_save: Iterable[Any] = ()) -> None:
        kept_task = self.items.get((Task, task.task_id)) if task is not None else None
        kept_dossier = self.items.get((Dossier, dossier.dossier_id))
        kept_account = self.items.get((Account, _key(account))) if account is not None else None
        if (task is not None and (kept_task is None or kept_task.state != "open"
                                  or _moved(kept_task, task))) \
                or kept_dossier is None or _moved(kept_dossier, dossier) \
                or (account is not None and (kept_account is None or _moved(kept_account, account))) \
                or (resolve_alert and (Task, resolve_alert) not in self.items):
            raise Conflict("Nhiệm vụ đã được xử lý hoặc hồ sơ vừa thay đổi.",
                           code="task_already_decided")
        seq, head = self._append_audit(dossier, audit_body)
        if task is not None:
            self._update(kept_task, task, task_changes or {})
        self._update(kept_dossier, dossier, {
            **dossier_changes, **({"alert_task_id": REMOVE} if resolve_alert else {}),
            "audit_seq": seq, "audit_head": head})
        if resolve_alert:
            alert = self.items[(Task, resolve_alert)]
            apply_changes(alert, {"state": "resolved", "inbox": f"resolved#{resolve_alert}"})
            _bump(alert)
        if account is not None:
            self._update(kept_account, account, account_changes or {})
        for item in also_save:
            _bump(item)
            self.put(item)

    # --- the audit chain ----------------------------------------------------------------------
    def _append_audit(self, dossier: Dossier, body: dict) -> tuple[int, str]:
        seq = int(dossier.audit_seq or 0) + 1
        prev = dossier.audit_head or audit.GENESIS
        chain = self.audit.setdefault(dossier.dossier_id, [])
        if any(r["seq"] == seq for r in chain):
            raise Conflict("Nhiệm vụ đã được xử lý hoặc hồ sơ vừa thay đổi.",
                           code="task_already_decided")
        record = audit.next_record(prev, seq, dossier_id=dossier.dossier_id, **body)
        # As AuditRecord stores and audit_records() reads it back: through JSON.
        chain.append({"seq": seq, "prev_hash": prev, "dossier_id": dossier.dossier_id,
                      **json.loads(json.dumps(body)), "hash": record["hash"]})
        chain.sort(key=lambda r: r["seq"])
        return seq, record["hash"]

    @staticmethod
    def _update(kept: Any, given: Any, changes: Changes) -> None:
        apply_changes(kept, changes)
        _bump(kept)
        _bump(given)


class MemoryLedger:
    """The posting adapter (LedgerAdapter) in memory: its transactions on `repo`'s items, the
    outbox items it keeps (updated in place, as PynamoDB's Model.update does), what it sent to
    the ledger, what it parked, and the audit bodies of its conclusions."""

    def __init__(self, repo: MemoryRepository) -> None:
        self.repo = repo
        self.items: dict[str, Any] = {}
        self.sent: list[dict] = []
        self.dlq: list[dict] = []
        self.audit: list[dict] = []

    def posting(self, posting_id: str):
        return self.items.get(posting_id)

    def _dossier_at_posting(self, dossier: Dossier) -> Any:
        kept = self.repo.items.get((Dossier, dossier.dossier_id))
        if kept is None or kept.status != catalogue.POSTING or _moved(kept, dossier):
            raise Conflict("Hồ sơ hoặc tài khoản vừa thay đổi.", code="posting_contention")
        return kept

    def open(self, item: Any, dossier: Dossier, dossier_changes: Changes,
             account: Account | None = None, account_changes: Changes | None = None) -> None:
        kept = self._dossier_at_posting(dossier)
        kept_account = self.repo.items.get((Account, _key(account))) if account is not None else None
        if item.posting_id in self.items or (account is not None and (
                kept_account is None or _moved(kept_account, account))):
            raise Conflict("Hồ sơ hoặc tài khoản vừa thay đổi.", code="posting_contention")
        MemoryRepository._update(kept, dossier, dossier_changes)
        if account is not None:
            MemoryRepository._update(kept_account, account, account_changes or {})
        item.version = 1
        self.items[item.posting_id] = item

    def update(self, item: Any, changes: Changes) -> None:
        apply_changes(item, changes)
        _bump(item)

    def conclude(self, item: Any, item_changes: Changes, dossier: Dossier,
                 dossier_changes: Changes, audit_body: dict, *,
                 account_id: str | None = None, account_changes: Changes | None = None) -> None:
        if item.state not in ("requested", "parked"):
            raise Conflict("Bút toán hoặc hồ sơ vừa thay đổi.", code="posting_contention")
        kept = self._dossier_at_posting(dossier)
        seq, head = self.repo._append_audit(dossier, audit_body)
        apply_changes(item, item_changes)
        _bump(item)
        MemoryRepository._update(kept, dossier, {**dossier_changes,
                                                 "audit_seq": seq, "audit_head": head})
        self.audit.append(audit_body)
        if account_id is not None:     # unconditional, as the ledger has booked it
            account = self.repo.items[(Account, f"ACCOUNT#{account_id}")]
            apply_changes(account, account_changes or {})
            _bump(account)

    def send(self, item, *, attempt: int, sent_at: str, delay_seconds: int = 0) -> None:
        self.sent.append({**item.request, "attempt": attempt, "sent_at": sent_at,
                          "delay_seconds": delay_seconds})

    def park(self, item, *, reason: dict, parked_at: str) -> None:
        self.dlq.append({"posting_id": item.posting_id, "last_error": reason,
                         "parked_at": parked_at})

    def parked(self, limit: int = 10, hide_seconds: int = 30) -> list[tuple[dict, str]]:
        return [(body, body["posting_id"]) for body in self.dlq[:limit]]

    def forget_parked(self, receipt_handle: str) -> None:
        self.dlq = [body for body in self.dlq if body["posting_id"] != receipt_handle]


class MemoryWorkflows:
    """The Step Functions gateway (chalicelib.adapters.workflow) in memory: what was started and
    how each task token was answered."""

    def __init__(self) -> None:
        self.started: list[tuple] = []
        self.answers: list[tuple[str, str | None]] = []
        self.outputs: list[dict] = []

    def start(self, *args: Any) -> None:
        self.started.append(args)

    def complete(self, token: str, output: dict) -> None:
        self.answers.append((token, output.get("decision")))
        self.outputs.append(output)


class MemoryAlertStore:
    """The alerts adapter's flags and subscriptions (chalicelib.adapters.alerts.AlertStore) in
    memory; `queried` keeps each (scope_attr, scope_id) the flags were listed by."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Any] = {}
        self.owners: dict[str, str] = {}
        self.saved_flags: list[Any] = []
        self.queried: list[tuple[str, str | None]] = []

    def watch_advance(self, period_end: str, dossier_id: str, unit_id: str, office_id: str) -> None:
        self.items[f"ADVDUE#{period_end}", dossier_id] = SimpleNamespace(
            pk=f"ADVDUE#{period_end}", sk=dossier_id, unit_id=unit_id, office_id=office_id)

    def advances_due(self, period_end: str) -> list[Any]:
        return [v for (pk, _), v in self.items.items() if pk == f"ADVDUE#{period_end}"]

    def forget_advance(self, item: Any) -> None:
        self.items.pop((item.pk, item.sk), None)

    def save_flag(self, flag: Any) -> None:
        self.saved_flags = [f for f in self.saved_flags if (f.pk, f.sk) != (flag.pk, flag.sk)]
        self.saved_flags.append(flag)

    def flags_of(self, dossier_id: str, prefix: str = "") -> list[Any]:
        return [f for f in self.saved_flags if f.pk == f"FLAG#{dossier_id}" and f.sk.startswith(prefix)]

    def flags(self, scope_attr: str, scope_id: str, *, rule: str | None, dossier_id: str | None,
              limit: int, cursor: str | None) -> Page:
        self.queried.append((scope_attr, scope_id))
        found = [f for f in self.saved_flags if getattr(f, scope_attr) == scope_id
                 and (not rule or f.rule == rule) and (not dossier_id or f.dossier_id == dossier_id)]
        return Page(found[:limit], None)

    def subscriptions(self, owner_sub: str) -> list[Any]:
        return [v for (pk, _), v in self.items.items() if pk == f"SUBSCRIBER#{owner_sub}"]

    def subscription(self, owner_sub: str, subscription_id: str) -> Any:
        return self.items.get((f"SUBSCRIBER#{owner_sub}", subscription_id))

    def claim_subscription(self, subscription_id: str, owner_sub: str) -> bool:
        return self.owners.setdefault(subscription_id, owner_sub) == owner_sub

    def save_subscription(self, item: Any) -> None:
        self.items[(item.pk, item.sk)] = item

    def delete_subscription(self, item: Any) -> None:
        del self.items[(item.pk, item.sk)]
        if self.owners.get(item.sk) == item.pk.removeprefix("SUBSCRIBER#"):
            del self.owners[item.sk]


class MemoryTopics:
    """The SNS topics adapter (chalicelib.adapters.notify.Topics) in memory: an e-mail subscription
    waits for its confirmation, any other is confirmed at once."""

    def __init__(self) -> None:
        self.subscribed: dict[str, tuple[str, str, str]] = {}
        self.published: list[tuple] = []

    def subscribe(self, topic: str, protocol: str, endpoint: str) -> tuple[str, bool]:
        arn = f"arn:aws:sns:us-east-1:000000000000:{topic}:{protocol}:{endpoint}"
        self.subscribed[arn] = (topic, protocol, endpoint)
        return arn, protocol == "email"

    def status(self, arn: str) -> str:
        if arn not in self.subscribed:
            return "removed"
        return "pending_confirmation" if self.subscribed[arn][1] == "email" else "confirmed"

    def unsubscribe(self, arn: str) -> None:
        self.subscribed.pop(arn, None)


# --- keys and cursors -----------------------------------------------------------------------
def _key(item: Any) -> str:
    hash_key = next(name for name, attribute in type(item).get_attributes().items()
                    if attribute.is_hash_key)
    value = getattr(item, hash_key)
    if isinstance(item, AuditRecord):
        return f"{value}#{item.seq}"
    return value


def _encode(scope_attr: str, scope_id: str, last: Any,
            order: tuple[str, str] = ("received_at", "dossier_id")) -> str:
    key = {scope_attr: scope_id, "after": [getattr(last, order[0]), getattr(last, order[1])]}
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


def _decode(cursor: str | None, scope_attr: str, scope_id: str) -> tuple[str, str] | None:
    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        owner, after = key[scope_attr], tuple(key["after"])
    except (ValueError, KeyError, TypeError) as exc:
        raise BadRequest("Con trỏ phân trang không hợp lệ.", code="invalid_cursor",
                         field="cursor") from exc
    if owner != scope_id:
        raise BadRequest("Con trỏ phân trang không hợp lệ.", code="invalid_cursor", field="cursor")
    return after
