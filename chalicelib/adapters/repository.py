"""Reads and transactions over the tables, in the shapes the use cases need.

Every state change of a dossier is one TransactWriteItems: the dossier (guarded by its version),
the next audit record (put only if its sequence number is free, so the chain cannot fork) and
whatever else moves with it (task, idempotency record, account balance). A failed condition
becomes a domain Conflict; the caller decides what it means.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import date, datetime
from datetime import time as time_of_day
from typing import Any, TypeVar

from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.expressions.condition import size
from pynamodb.transactions import TransactWrite

from ..domain import audit, digests
from ..domain.calendar import DEFAULT_CALENDAR, DEFAULT_WORKING_HOURS, WorkingCalendar
from ..domain.changes import REMOVE, Changes
from ..domain.errors import Conflict
from . import dynamo
from .dynamo import Page, get_or_none
from .models import (
    Account,
    AuditRecord,
    Dossier,
    DossierBody,
    IdempotencyRecord,
    LegalDocument,
    Office,
    Project,
    RegisteredCertificate,
    Task,
    TrustBundle,
    Unit,
)

DIRECTORY_CACHE_SECONDS = 300
T = TypeVar("T")


class IdempotencyKeyTaken(Conflict):
    code = "idempotency_key_taken"


def _working_hours(hours: dict | None) -> tuple[time_of_day, time_of_day]:
    if not hours:
        return DEFAULT_WORKING_HOURS
    return time_of_day.fromisoformat(hours["start"]), time_of_day.fromisoformat(hours["end"])


class Repository:
    def __init__(self, connection: Any) -> None:
        self._conn = connection
        self._cache: dict[str, tuple[float, Any]] = {}

    # --- directory (cached: it changes rarely and every submission reads it) ---------------
    def _cached(self, key: str, load: Callable[[], T]) -> T:
        hit = self._cache.get(key)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        value = load()
        if value is not None:  # never cache a miss: the unit or account may be created next
            self._cache[key] = (time.monotonic() + DIRECTORY_CACHE_SECONDS, value)
        return value

    def unit(self, unit_id: str) -> Unit | None:
        return self._cached(f"UNIT#{unit_id}", lambda: get_or_none(Unit, f"UNIT#{unit_id}"))

    def account_owner(self, account_id: str) -> str | None:
        """Which unit owns the account (cached); balances are always read fresh."""
        def load() -> str | None:
            account = get_or_none(Account, f"ACCOUNT#{account_id}")
            return account.unit_id if account else None
        return self._cached(f"ACCOUNT#{account_id}", load)

    def office_exists(self, office_id: str) -> bool:
        return self._cached(f"OFFICE#{office_id}",
                            lambda: get_or_none(Office, f"OFFICE#{office_id}")) is not None

    def create_unit(self, unit: Unit, accounts: list[Account]) -> bool:
        """A new unit and its accounts, all or nothing. True if created now or earlier by the
        same registration (a redelivered activation); False if the unit came from elsewhere."""
        try:
            with TransactWrite(connection=self._conn) as tx:
                tx.save(unit, condition=Unit.pk.does_not_exist())
                for account in accounts:
                    tx.save(account, condition=Account.pk.does_not_exist())
        except TransactWriteError as exc:
            if not any(dynamo.cancelled_on(exc, i) for i in range(len(accounts) + 1)):
                raise
            existing = get_or_none(Unit, unit.pk, consistent=True)
            return existing is not None and existing.registered_by == unit.registered_by
        finally:
            self._cache.pop(unit.pk, None)
        return True

    def office_calendar(self, office_id: str) -> WorkingCalendar:
        """The working-day calendar of an office: public holidays plus its own declared days."""
        office = self._cached(f"OFFICE#{office_id}", lambda: get_or_none(Office, f"OFFICE#{office_id}"))
        if office is None:
            return DEFAULT_CALENDAR
        return WorkingCalendar(
            extra_days_off=frozenset(date.fromisoformat(d["date"]) for d in office.days_off or []),
            extra_working_days=frozenset(date.fromisoformat(d["date"])
                                         for d in office.extra_working_days or []),
            working_hours=_working_hours(office.working_hours))

    def add_office_day_off(self, office_id: str, entry: dict) -> None:
        office = get_or_none(Office, f"OFFICE#{office_id}", consistent=True)
        if office is None:
            raise Conflict("Không có đơn vị KBNN này.", code="unknown_office")
        if any(d["date"] == entry["date"] for d in office.days_off or []):
            raise Conflict("Ngày này đã là ngày nghỉ của đơn vị.", code="day_off_exists", field="date")
        office.update(actions=dynamo.actions(Office, {"days_off": [*(office.days_off or []), entry]}))
        self._cache.pop(f"OFFICE#{office_id}", None)

    def office_name(self, office_id: str) -> str | None:
        office = self._cached(f"OFFICE#{office_id}", lambda: get_or_none(Office, f"OFFICE#{office_id}"))
        return office.name if office else None

    def office_parent(self, office_id: str) -> str | None:
        office = self._cached(f"OFFICE#{office_id}", lambda: get_or_none(Office, f"OFFICE#{office_id}"))
        return office.parent_id if office else None

    def trusted_ca_pems(self) -> list[str]:
        """Cached like the directory: trusting a new CA takes effect within minutes."""
        bundle = self._cached("TRUST#bundle", lambda: get_or_none(TrustBundle, "TRUST#bundle"))
        return list(bundle.pems) if bundle else []

    def account(self, account_id: str) -> Account | None:
        return get_or_none(Account, f"ACCOUNT#{account_id}", consistent=True)

    # --- dossiers ------------------------------------------------------------------------
    def dossier(self, dossier_id: str) -> Dossier | None:
        return get_or_none(Dossier, dossier_id, consistent=True)

    def body(self, dossier: Dossier) -> DossierBody:
        """What the unit signed (content and signatures) of a dossier that exists."""
        body = get_or_none(DossierBody, dossier.dossier_id, consistent=True)
        if body is None:
            raise LookupError("a dossier without its body")
        return body

    def idempotency(self, key: str) -> IdempotencyRecord | None:
        return get_or_none(IdempotencyRecord, key, consistent=True)

    def legal_documents(self, keys: list[str]) -> dict[str, LegalDocument]:
        """One-time documents on file, by key; a document once on file stays, so hits are cached."""
        now = time.monotonic()
        found = {k: hit[1] for k in keys if (hit := self._cache.get(k)) and hit[0] > now}
        missing = [k for k in keys if k not in found]
        if missing:
            for item in LegalDocument.batch_get(missing, consistent_read=True):
                found[item.pk] = item
                self._cache[item.pk] = (now + DIRECTORY_CACHE_SECONDS, item)
        return found

    def create_dossier(self, dossier: Dossier, body: DossierBody, audit_body: dict,
                       idempotency: IdempotencyRecord | None, also_save: Iterable[Any] = ()) -> None:
        """The dossier, its first audit record, the idempotency record and anything it brings
        on file (`also_save`: one-time legal documents), all or nothing."""
        try:
            with TransactWrite(connection=self._conn) as tx:
                if idempotency is not None:
                    tx.save(idempotency, condition=IdempotencyRecord.key.does_not_exist())
                dossier.audit_seq, dossier.audit_head = dynamo.append_audit(tx, dossier, audit_body)
                tx.save(dossier, condition=Dossier.dossier_id.does_not_exist())
                tx.save(body)
                for item in also_save:
                    tx.save(item)
        except TransactWriteError as exc:
            if idempotency is not None and dynamo.cancelled_on(exc, 0):
                raise IdempotencyKeyTaken() from exc
            raise

    def dossiers(self, scope_attr: str, scope_id: str, *, limit: int, cursor: str | None,
                 status: str | None, procedure: str | None) -> Page:
        index = Dossier.by_unit if scope_attr == "unit_id" else Dossier.by_office
        return dynamo.scoped_page(index, scope_attr, scope_id, limit=limit, cursor=cursor,
                           filters=[(Dossier.status, status), (Dossier.procedure, procedure)])

    def undelivered(self, partition: str, before: str, limit: int) -> list[str]:
        """Ids of dossiers marked with something Step Functions has not taken since before
        `before`, oldest first: a Query of the sparse `undelivered` index."""
        return [d.dossier_id for d in Dossier.undelivered_index.query(
            partition, Dossier.sweep_since <= before, limit=limit)]

    def clear_undelivered(self, dossier: Dossier) -> bool:
        """Remove the marker if it is still the one read; False if the dossier moved meanwhile
        (the next sweep looks again)."""
        return dynamo.update_if(dossier, dict.fromkeys(("undelivered", "sweep", "sweep_since"), REMOVE),
                                Dossier.sweep_since == dossier.sweep_since)

    def paid_under_contract(self, unit_id: str, contract_number: str, excluding: str) -> int:
        """What the unit has been paid under a contract: a Query of the unit's own partition."""
        condition = (Dossier.contract_number == contract_number) & (Dossier.status == "paid")
        return sum(int(d.amount) for d in Dossier.by_unit.query(unit_id, filter_condition=condition)
                   if d.dossier_id != excluding)

    def related_dossiers(self, unit_id: str, related_to: str) -> list[Dossier]:
        """The unit's dossiers naming `related_to` (the settlements of an advance...): a Query
        of the unit's own partition."""
        return list(Dossier.by_unit.query(unit_id, filter_condition=Dossier.related_dossier == related_to))

    def advance_dossiers(self, unit_id: str) -> list[Dossier]:
        """The unit's advances and advance settlements (the advance register): one Query of the
        unit's own partition."""
        return list(Dossier.by_unit.query(unit_id, filter_condition=Dossier.payment_kind.is_in(
            "advance", "advance_settlement")))

    # --- public-investment projects (254/2025 Art.6 cl.4-6, Art.9 cl.5) -------------------------
    def project(self, project_code: str) -> Project | None:
        """Read fresh (a plan recorded a moment ago decides the next payment), never cached."""
        return get_or_none(Project, Project.key(project_code), consistent=True)

    def save_project(self, project: Project) -> None:
        """Put the project, guarded by its version: two officers' writes never overwrite each other
        silently (the second is a Conflict and reads again)."""
        try:
            project.save()
        except PutError as exc:
            if dynamo.is_condition_failure(exc):
                raise Conflict("Dự án vừa được cập nhật, hãy đọc lại.",
                               code="project_changed") from exc
            raise

    def project_dossiers(self, unit_id: str, project_code: str) -> list[Dossier]:
        """The unit's dossiers for a project (what it disbursed): a Query of its own partition."""
        return list(Dossier.by_unit.query(unit_id,
                                          filter_condition=Dossier.project_code == project_code))

    def contract_dossiers(self, unit_id: str, contract_number: str) -> list[Dossier]:
        """The unit's dossiers under a contract, whatever their status: a Query of its partition."""
        return list(Dossier.by_unit.query(
            unit_id, filter_condition=Dossier.contract_number == contract_number))

    def audit_records(self, dossier_id: str) -> list[dict]:
        return [{"seq": int(r.seq), "prev_hash": r.prev_hash, "dossier_id": r.dossier_id,
                 **r.body, "hash": r.hash}
                for r in AuditRecord.query(dossier_id, consistent_read=True)]

    def audit_heads(self, day: str) -> dict[str, dict]:
        """Per dossier whose chain changed on the local `day`, its highest (seq, hash): one
        Query per partition of the `by_digest_day` index, never a Scan."""
        return digests.heads_of((r.dossier_id, int(r.seq), r.hash)
                                for partition in audit.digest_partitions(day)
                                for r in AuditRecord.by_digest_day.query(partition))

    # --- certificates: never cached, so a revocation takes effect on the next request ---------
    def certificate(self, fingerprint: str) -> RegisteredCertificate | None:
        return get_or_none(RegisteredCertificate, fingerprint, consistent=True)

    def certificates(self, fingerprints: list[str]) -> dict[str, RegisteredCertificate]:
        """One consistent BatchGetItem for the signers of a submission."""
        keys = list(dict.fromkeys(fingerprints))
        if not keys:
            return {}
        return {c.fingerprint: c for c in RegisteredCertificate.batch_get(keys, consistent_read=True)}

    def certificates_by_serial(self, serial_key: str) -> list[RegisteredCertificate]:
        keys = [c.fingerprint for c in RegisteredCertificate.by_serial.query(serial_key)]
        return list(self.certificates(keys).values())

    def holder_certificates(self, holder: str) -> list[RegisteredCertificate]:
        return list(RegisteredCertificate.by_holder.query(holder, scan_index_forward=False))

    def register_certificate(self, record: RegisteredCertificate, unit: Unit | None,
                             limit: int | None) -> None:
        """Bind the certificate, and add its owner to the unit's signers for that title unless
        that would exceed `limit` people. Raises Conflict with a precise code."""
        try:
            with TransactWrite(connection=self._conn) as tx:
                tx.save(record, condition=RegisteredCertificate.fingerprint.does_not_exist())
                if unit is not None and limit is not None:
                    signers = getattr(Unit, f"{record.title}_signers")
                    tx.update(unit, add_version_condition=False, actions=[signers.add({record.owner_sub})],
                              condition=signers.does_not_exist() | (signers.contains(record.owner_sub))
                              | (size(signers) < limit))
        except TransactWriteError as exc:
            if dynamo.cancelled_on(exc, 0):
                raise Conflict("Chứng thư số này đã được đăng ký.",
                               code="certificate_already_registered", field="certificate") from exc
            if dynamo.cancelled_on(exc, 1):
                raise Conflict(f"Đơn vị đã có đủ {limit} người ký cho chức danh này.",
                               code="signer_limit_reached", field="title") from exc
            raise
        self._cache.pop(f"UNIT#{record.holder.split('#', 1)[1]}", None)

    def approve_certificate(self, record: RegisteredCertificate, at: str) -> bool:
        """pending -> active; False if it was not pending (already approved, or revoked)."""
        return dynamo.update_if(record, {"status": "active"}, RegisteredCertificate.status == "pending",
                                add_version_condition=False)

    def create_accounts(self, accounts: list[Account]) -> None:
        for account in accounts:  # each on its own: a repeat finds it there and moves on
            dynamo.put_once(account, Account.pk)

    def revoke_certificate(self, record: RegisteredCertificate, by: str, at: str, reason: str,
                           unit: Unit | None, release_signer: bool) -> None:
        """active or pending -> revoked, and the owner's place among the unit's signers freed
        (unless another of their certificates still holds it)."""
        changes = {"status": "revoked", "revoked_at": at, "revoked_by": by,
                   "revocation_reason": reason}
        try:
            with TransactWrite(connection=self._conn) as tx:
                tx.update(record, actions=dynamo.actions(RegisteredCertificate, changes),
                          condition=RegisteredCertificate.status.is_in("active", "pending"))
                if unit is not None and release_signer:
                    signers = getattr(Unit, f"{record.title}_signers")
                    tx.update(unit, add_version_condition=False,
                              actions=[signers.delete({record.owner_sub})])
        except TransactWriteError as exc:
            if dynamo.cancelled_on(exc, 0):
                raise Conflict("Chứng thư số đã bị thu hồi.", code="certificate_already_revoked") from exc
            raise
        # the unit's signers changed: its cached item must not list the revoked signer (as for a
        # registration)
        self._cache.pop(f"UNIT#{record.holder.split('#', 1)[1]}", None)

    # --- tasks ---------------------------------------------------------------------------
    def task(self, task_id: str) -> Task | None:
        return get_or_none(Task, task_id, consistent=True)

    def task_with_dossier(self, task_id: str, dossier_id: str) -> tuple[Task | None, Dossier | None]:
        """Both in one consistent BatchGetItem: half the read cost of TransactGetItems, and the
        decision's transaction re-checks both items' versions anyway."""
        tables = {Task.Meta.table_name: ("task_id", task_id, Task),
                  Dossier.Meta.table_name: ("dossier_id", dossier_id, Dossier)}
        request = {table: {"Keys": [{attr: {"S": value}}], "ConsistentRead": True}
                   for table, (attr, value, _) in tables.items()}
        found: dict[str, dict] = {}
        for _ in range(5):  # unprocessed keys are rare (throttling); retry them a few times
            result = self._conn.client.batch_get_item(RequestItems=request)
            for table, items in result.get("Responses", {}).items():
                if items:
                    found[table] = items[0]
            request = result.get("UnprocessedKeys") or {}
            if not request:
                break
        task = Task.from_raw_data(found[Task.Meta.table_name]) \
            if Task.Meta.table_name in found else None
        dossier = Dossier.from_raw_data(found[Dossier.Meta.table_name]) \
            if Dossier.Meta.table_name in found else None
        return task, dossier

    def inbox(self, inbox_key: str, *, limit: int, cursor: str | None) -> Page:
        result = Task.by_inbox.query(inbox_key, limit=limit,
                                     last_evaluated_key=dynamo.decode_cursor(cursor, "inbox", inbox_key))
        return dynamo.page_of(result)

    def overdue_tasks(self, inbox_key: str, now_iso: str) -> list[Task]:
        """Open tasks past their due time: a key condition on the inbox index, no filtering."""
        return [t for t in Task.by_inbox.query(inbox_key, Task.due_at < now_iso)
                if t.kind == "decision"]

    def dossiers_by_id(self, dossier_ids: list[str]) -> dict[str, Dossier]:
        keys = list(dict.fromkeys(dossier_ids))
        return {d.dossier_id: d for d in Dossier.batch_get(keys)} if keys else {}

    def note_on_dossier(self, dossier: Dossier, changes: Changes, audit_body: dict) -> None:
        """A change that is not a workflow move (a delay reason): the dossier and its audit
        record, together."""
        self.move_dossier(dossier, changes, audit_body)

    def open_task(self, task: Task, dossier: Dossier, dossier_changes: Changes, *,
                  expire: Task | None = None, alert: Task | None = None,
                  audit_body: dict | None = None) -> bool:
        """Record an open task and point the dossier at it; False if it was already recorded."""
        try:
            with TransactWrite(connection=self._conn) as tx:
                tx.save(task, condition=Task.task_id.does_not_exist())
                actions = dynamo.actions(Dossier, dossier_changes)
                if audit_body is not None:
                    actions += dynamo.audit_actions(tx, dossier, audit_body)
                tx.update(dossier, actions=actions)
                if expire is not None:
                    tx.update(expire, actions=dynamo.actions(Task, {
                        "state": "expired", "inbox": closed_inbox(expire, "expired")}))
                if alert is not None:
                    tx.save(alert, condition=Task.task_id.does_not_exist())
        except TransactWriteError as exc:
            if dynamo.cancelled_on(exc, 0):
                return False
            raise
        return True

    def mark_decided(self, task: Task, dossier: Dossier, dossier_changes: Changes,
                     audit_body: dict, *, decision: str, by: str, at: str, reason: str | None,
                     request: str, resolve_alert: str | None = None,
                     also_save: Iterable[Any] = ()) -> None:
        """The task decided (only if still open: one winner among concurrent decisions), the
        dossier's move and its audit record, all or nothing. Raises Conflict if the task was
        decided meanwhile or the dossier moved under us."""
        decided = {"state": "decided", "inbox": closed_inbox(task, "decided"), "decision": decision,
                   "decided_at": at, "decided_by": by, "reason": reason,
                   "decided_by_request": request}
        self._commit(dossier, dossier_changes, audit_body, task=task, task_changes=decided,
                     resolve_alert=resolve_alert, also_save=also_save)

    def move_dossier(self, dossier: Dossier, changes: Changes, audit_body: dict, *,
                     resolve_alert: str | None = None, account: Account | None = None,
                     account_changes: Changes | None = None, also_save: Iterable[Any] = ()) -> None:
        """A system step's move of the dossier (and the account it changes), with its audit
        record, all or nothing; Conflict if the dossier or the account moved under us."""
        self._commit(dossier, changes, audit_body, resolve_alert=resolve_alert, account=account,
                     account_changes=account_changes, also_save=also_save)

    def _commit(self, dossier: Dossier, dossier_changes: Changes, audit_body: dict, *,
                task: Task | None = None, task_changes: Changes | None = None,
                resolve_alert: str | None = None, account: Account | None = None,
                account_changes: Changes | None = None, also_save: Iterable[Any] = ()) -> None:
        with dynamo.conflict_if_cancelled(Conflict(
                "Nhiệm vụ đã được xử lý hoặc hồ sơ vừa thay đổi.", code="task_already_decided")):
            with TransactWrite(connection=self._conn) as tx:
                if task is not None:
                    tx.update(task, actions=dynamo.actions(Task, task_changes or {}),
                              condition=Task.state == "open")
                head = dynamo.audit_actions(tx, dossier, audit_body)
                changes = {**dossier_changes, **({"alert_task_id": REMOVE} if resolve_alert else {})}
                tx.update(dossier, actions=dynamo.actions(Dossier, changes) + head)
                if resolve_alert:
                    tx.update(Task(resolve_alert), add_version_condition=False,
                              condition=Task.task_id.exists(),
                              actions=dynamo.actions(Task, {"state": "resolved",
                                                            "inbox": f"resolved#{resolve_alert}"}))
                if account is not None:
                    tx.update(account, actions=dynamo.actions(Account, account_changes or {}))
                for item in also_save:
                    tx.save(item)


def inbox_key(scope: str, scope_id: str, role: str, state: str) -> str:
    """The inbox GSI's partition: whose inbox, which role, which state (state always last)."""
    return f"unit#{scope_id}#{state}" if scope == "unit" else f"office#{scope_id}#{role}#{state}"


def closed_inbox(task: Task, state: str) -> str:
    """Decided and expired tasks leave the open inbox but stay listable by state."""
    return task.inbox.rsplit("#", 1)[0] + f"#{state}"



def claim_event(key: str, kind: str, expires_at: datetime) -> IdempotencyRecord | None:
    """Claim a piece of work once (a consumer's event): the claim, or None if it was claimed
    before (the work is done, or being done)."""
    claim = IdempotencyRecord(key, request_hash=kind, status_code=0, response={"status": "claimed"},
                              expires_at=expires_at)
    return claim if dynamo.put_once(claim, IdempotencyRecord.key) else None


def finish_claim(claim: IdempotencyRecord) -> None:
    claim.update(actions=dynamo.actions(IdempotencyRecord, {"response": {"status": "done"}}))


def release_claim(claim: IdempotencyRecord) -> None:
    """The work failed: the next delivery may claim it again."""
    claim.delete()
