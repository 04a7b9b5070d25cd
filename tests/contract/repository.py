"""What the services rely on the repository for, written once and run twice: against the
in-memory fake the service tests use (tests/unit/test_repository_contract_in_memory.py) and against the
real DynamoDB repository on moto (tests/integration/test_repository_contract_on_moto.py). A behaviour the
fake gets wrong fails here, not in a service test that trusted it.

A subclass provides the `repo` fixture. Only the repository's public interface is used; every
test makes its own dossiers under its own unit, so the moto side can share the session's tables.
"""
from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from ulid import ULID

from chalicelib.adapters.models import (
    Account,
    Dossier,
    DossierBody,
    IdempotencyRecord,
    Project,
    RegisteredCertificate,
    Task,
    Unit,
)
from chalicelib.adapters.repository import IdempotencyKeyTaken, inbox_key
from chalicelib.domain import audit
from chalicelib.domain.changes import REMOVE, Add
from chalicelib.domain.errors import BadRequest, Conflict

AT = "2026-11-23T02:00:00Z"


def a_unit() -> str:
    return f"9{uuid.uuid4().int % 10**6:06d}"


def a_dossier(unit_id: str, received_at: str = "2026-11-23T01:00:00Z", *,
              status: str = "received", procedure: str = "regular_spending_payment") -> Dossier:
    return Dossier(str(ULID()), procedure=procedure, procedure_version="347-2025", unit_id=unit_id,
                   office_id="KV1", account_id=f"9523.1.{unit_id}", amount=3_000_000,
                   payment_kind="payment", voucher_number="UNC-01", status=status,
                   step="control", received_at=received_at, due_at="2026-11-25T10:00:00Z",
                   updated_at=received_at, audit_head=audit.GENESIS)


def a_body(dossier: Dossier) -> DossierBody:
    return DossierBody(dossier.dossier_id, content={"voucher": {"number": "UNC-01"}}, signatures=[])


def an_audit(action: str, at: str = AT, **more: Any) -> dict:
    return {"at": at, "actor": {"kind": "user", "sub": "sub-kt"}, "action": action, **more}


def a_task(dossier: Dossier, due_at: str = "2026-11-24T10:00:00Z") -> Task:
    return Task(str(ULID()), dossier_id=dossier.dossier_id, procedure=dossier.procedure,
                procedure_version=dossier.procedure_version, step="control", scope="office",
                scope_id="KV1", role="control_officer", state="open",
                inbox=inbox_key("office", f"KV1-{dossier.unit_id}", "control_officer", "open"),
                created_at=AT, due_at=due_at)


def a_new_unit(unit_id: str, registered_by: str = "tk01") -> tuple[Unit, list[Account]]:
    unit = Unit(f"UNIT#{unit_id}", unit_id=unit_id, name="Đơn vị thử", office_id="KV1",
                chapter_code="018", registered_by=registered_by)
    accounts = [Account(f"ACCOUNT#{kind}.1.{unit_id}", account_id=f"{kind}.1.{unit_id}",
                        unit_id=unit_id, kind="estimate" if kind == "9523" else "deposit", balance=0)
                for kind in ("9523", "3713")]
    return unit, accounts


def a_certificate(unit_id: str, owner: str, registered_at: str = AT, *,
                  title: str = "account_holder") -> RegisteredCertificate:
    return RegisteredCertificate(uuid.uuid4().hex * 2, holder=f"unit#{unit_id}",
                                 serial_key=f"CN=Demo CA#{uuid.uuid4().hex[:8]}", pem="-----",
                                 subject=f"CN={owner}", not_before="2026-01-01T00:00:00Z",
                                 not_after="2027-01-01T00:00:00Z", title=title, owner_sub=owner,
                                 owner_username=owner, status="pending", registered_at=registered_at)


class RepositoryContract:
    """The repository operations the services rely on."""

    @pytest.fixture
    def repo(self) -> Any:
        raise NotImplementedError("a subclass provides the repository under test")

    def created(self, repo: Any, dossier: Dossier, key: str | None = None) -> Dossier:
        idempotency = None if key is None else IdempotencyRecord(
            key, request_hash="h", status_code=201, response={"dossier_id": dossier.dossier_id},
            expires_at=timedelta(days=1))
        repo.create_dossier(dossier, a_body(dossier), an_audit("submitted"), idempotency)
        return dossier

    def opened(self, repo: Any, dossier: Dossier) -> Task:
        task = a_task(dossier)
        current = repo.dossier(dossier.dossier_id)
        assert repo.open_task(task, current, {"open_task_id": task.task_id},
                              audit_body=an_audit("task_opened")) is True
        return task

    # --- get / put ------------------------------------------------------------------------
    def test_a_created_dossier_reads_back_with_its_body_and_its_first_audit_record(self, repo):
        dossier = self.created(repo, a_dossier(a_unit()))
        found = repo.dossier(dossier.dossier_id)
        assert found is not dossier
        assert (found.unit_id, found.amount, found.status, found.audit_seq) == \
            (dossier.unit_id, 3_000_000, "received", 1)
        assert found.audit_head == dossier.audit_head != audit.GENESIS
        assert repo.body(found).content == {"voucher": {"number": "UNC-01"}}
        (first,) = repo.audit_records(dossier.dossier_id)
        assert (first["seq"], first["action"], first["prev_hash"]) == (1, "submitted", audit.GENESIS)

    def test_a_dossier_never_created_reads_as_nothing(self, repo):
        assert repo.dossier(str(ULID())) is None
        assert repo.audit_records(str(ULID())) == []
        assert repo.idempotency(f"key-{uuid.uuid4()}") is None

    # --- idempotency ----------------------------------------------------------------------
    def test_an_idempotency_key_is_kept_and_a_second_use_writes_nothing(self, repo):
        unit, key = a_unit(), f"key-{uuid.uuid4()}"
        first = self.created(repo, a_dossier(unit), key)
        kept = repo.idempotency(key)
        assert (kept.request_hash, int(kept.status_code), kept.response) == \
            ("h", 201, {"dossier_id": first.dossier_id})
        second = a_dossier(unit)
        with pytest.raises(IdempotencyKeyTaken):
            self.created(repo, second, key)
        assert repo.dossier(second.dossier_id) is None
        assert repo.audit_records(second.dossier_id) == []
        assert repo.idempotency(key).response == {"dossier_id": first.dossier_id}

    # --- the conditional decision ---------------------------------------------------------
    def test_of_two_decisions_on_one_task_only_the_first_is_recorded(self, repo):
        dossier = self.created(repo, a_dossier(a_unit()))
        task = self.opened(repo, dossier)
        readers = [repo.task_with_dossier(task.task_id, dossier.dossier_id) for _ in range(2)]
        for (read_task, read_dossier), who in zip(readers, ("sub-a", "sub-b"), strict=True):
            assert (read_task.state, read_dossier.open_task_id) == ("open", task.task_id)
        outcomes = []
        for (read_task, read_dossier), who in zip(readers, ("sub-a", "sub-b"), strict=True):
            try:
                repo.mark_decided(
                    read_task, read_dossier, {"status": "approved", "updated_at": AT},
                    an_audit("approve", sub=who), decision="approve", by=who, at=AT,
                    reason=None, request=f"req-{who}")
                outcomes.append(who)
            except Conflict as refused:
                outcomes.append(refused.code)
        assert outcomes == ["sub-a", "task_already_decided"]
        decided = repo.task(task.task_id)
        assert (decided.state, decided.decided_by, decided.decided_by_request) == \
            ("decided", "sub-a", "req-sub-a")
        assert decided.inbox.endswith("#decided")
        assert repo.dossier(dossier.dossier_id).status == "approved"
        assert [r["action"] for r in repo.audit_records(dossier.dossier_id)] == \
            ["submitted", "task_opened", "approve"]

    def test_a_change_to_a_dossier_that_moved_meanwhile_is_refused_and_writes_nothing(self, repo):
        dossier = self.created(repo, a_dossier(a_unit()))
        stale = repo.dossier(dossier.dossier_id)
        repo.note_on_dossier(repo.dossier(dossier.dossier_id),
                             {"delay_reason": {"reason": "first"}}, an_audit("delay_noted"))
        with pytest.raises(Conflict) as refused:
            repo.note_on_dossier(stale, {"delay_reason": {"reason": "second"}},
                                 an_audit("delay_noted"))
        assert refused.value.code == "task_already_decided"
        assert repo.dossier(dossier.dossier_id).delay_reason == {"reason": "first"}
        assert len(repo.audit_records(dossier.dossier_id)) == 2

    def test_a_task_is_opened_once_and_waits_in_its_inbox(self, repo):
        dossier = self.created(repo, a_dossier(a_unit()))
        task = self.opened(repo, dossier)
        again = a_task(dossier)
        again.task_id = task.task_id
        assert repo.open_task(again, repo.dossier(dossier.dossier_id), {}) is False
        page = repo.inbox(task.inbox, limit=10, cursor=None)
        assert [t.task_id for t in page.items] == [task.task_id] and page.next_cursor is None
        assert repo.dossier(dossier.dossier_id).open_task_id == task.task_id

    # --- the audit chain --------------------------------------------------------------------
    def test_audit_records_come_back_in_chain_order_and_verify_against_the_dossiers_head(self, repo):
        dossier = self.created(repo, a_dossier(a_unit()))
        for n in range(1, 11):      # past 9: a sequence compared as text would put 10 after 1
            repo.note_on_dossier(repo.dossier(dossier.dossier_id),
                                 {"updated_at": f"2026-11-23T02:{n:02d}:00Z"},
                                 an_audit("delay_noted", at=f"2026-11-23T02:{n:02d}:00Z", n=n))
        records = repo.audit_records(dossier.dossier_id)
        assert [r["seq"] for r in records] == list(range(1, 12))
        assert [r.get("n") for r in records] == [None, *range(1, 11)]
        head = repo.dossier(dossier.dossier_id)
        assert audit.verify_chain(records, expected_head=head.audit_head).intact
        assert int(head.audit_seq) == 11

    # --- paging -----------------------------------------------------------------------------
    def test_a_units_dossiers_page_newest_first_and_the_cursor_resumes_after_the_page(self, repo):
        unit = a_unit()
        made = [self.created(repo, a_dossier(unit, f"2026-11-2{day}T01:00:00Z")) for day in range(5)]
        self.created(repo, a_dossier(a_unit()))            # another unit's: never listed
        seen, cursor, pages = [], None, 0
        while True:
            page = repo.dossiers("unit_id", unit, limit=2, cursor=cursor, status=None, procedure=None)
            seen += [d.dossier_id for d in page.items]
            pages += 1
            cursor = page.next_cursor
            if cursor is None or pages > 5:
                break
        assert seen == [d.dossier_id for d in reversed(made)]
        assert pages == 3

    def test_a_cursor_minted_for_another_unit_or_garbled_is_refused(self, repo):
        unit = a_unit()
        for day in range(3):
            self.created(repo, a_dossier(unit, f"2026-11-2{day}T01:00:00Z"))
        cursor = repo.dossiers("unit_id", unit, limit=1, cursor=None, status=None,
                               procedure=None).next_cursor
        assert cursor
        for bad in (cursor, "not-a-cursor", "e30="):
            with pytest.raises(BadRequest) as refused:
                repo.dossiers("unit_id", a_unit() if bad == cursor else unit, limit=1, cursor=bad,
                              status=None, procedure=None)
            assert (refused.value.code, refused.value.field) == ("invalid_cursor", "cursor")

    def test_the_status_filter_keeps_the_matching_dossiers_across_pages(self, repo):
        unit = a_unit()
        made = [self.created(repo, a_dossier(unit, f"2026-11-2{day}T01:00:00Z",
                                             status="approved" if day % 2 else "received"))
                for day in range(5)]
        seen, cursor = [], None
        for _ in range(6):
            page = repo.dossiers("unit_id", unit, limit=2, cursor=cursor, status="approved",
                                 procedure=None)
            seen += [d.dossier_id for d in page.items]
            cursor = page.next_cursor
            if cursor is None:
                break
        assert seen == [d.dossier_id for d in reversed(made) if d.status == "approved"]

    # --- the directory and certificates --------------------------------------------------
    def test_a_unit_is_created_once_with_its_accounts_and_its_own_redelivery_is_recognised(self, repo):
        unit_id = a_unit()
        assert repo.create_unit(*a_new_unit(unit_id)) is True
        assert repo.create_unit(*a_new_unit(unit_id)) is True           # the same TK01 again
        assert repo.create_unit(*a_new_unit(unit_id, "another")) is False
        assert repo.unit(unit_id).registered_by == "tk01"
        assert repo.account_owner(f"9523.1.{unit_id}") == unit_id
        # a unit whose account already belongs elsewhere is not created at all
        clash, accounts = a_new_unit(a_unit())
        accounts[0] = a_new_unit(unit_id)[1][0]
        assert repo.create_unit(clash, accounts) is False
        assert repo.unit(clash.unit_id) is None

    def test_a_certificate_is_registered_once_and_a_title_holds_at_most_its_limit(self, repo):
        unit_id = a_unit()
        repo.create_unit(*a_new_unit(unit_id))
        first = a_certificate(unit_id, "sub-1")
        repo.register_certificate(first, repo.unit(unit_id), 2)
        with pytest.raises(Conflict) as again:
            repo.register_certificate(first, repo.unit(unit_id), 2)
        assert again.value.code == "certificate_already_registered"
        repo.register_certificate(a_certificate(unit_id, "sub-2"), repo.unit(unit_id), 2)
        third = a_certificate(unit_id, "sub-3")
        with pytest.raises(Conflict) as full:
            repo.register_certificate(third, repo.unit(unit_id), 2)
        assert (full.value.code, full.value.field) == ("signer_limit_reached", "title")
        assert repo.certificate(third.fingerprint) is None
        renewed = a_certificate(unit_id, "sub-1")                # a second key of a holder
        repo.register_certificate(renewed, repo.unit(unit_id), 2)
        assert repo.unit(unit_id).account_holder_signers == {"sub-1", "sub-2"}
        assert set(repo.certificates([first.fingerprint, third.fingerprint, renewed.fingerprint])) \
            == {first.fingerprint, renewed.fingerprint}

    def test_a_pending_certificate_is_approved_once_and_a_holders_are_listed_newest_first(self, repo):
        unit_id = a_unit()
        older = a_certificate(unit_id, "sub-1", "2026-11-20T01:00:00Z")
        newer = a_certificate(unit_id, "sub-2", "2026-11-21T01:00:00Z")
        for record in (older, newer):
            repo.register_certificate(record, None, None)
        assert repo.approve_certificate(older, AT) is True and older.status == "active"
        assert repo.approve_certificate(repo.certificate(older.fingerprint), AT) is False
        assert repo.certificate(older.fingerprint).status == "active"
        assert [c.fingerprint for c in repo.holder_certificates(f"unit#{unit_id}")] == \
            [newer.fingerprint, older.fingerprint]
        assert [c.fingerprint for c in repo.certificates_by_serial(newer.serial_key)] == \
            [newer.fingerprint]

    def test_a_certificate_is_revoked_once_and_its_owners_place_among_the_signers_is_freed(self, repo):
        unit_id = a_unit()
        repo.create_unit(*a_new_unit(unit_id))
        kept, gone = a_certificate(unit_id, "sub-1"), a_certificate(unit_id, "sub-2")
        for record in (kept, gone):
            repo.register_certificate(record, repo.unit(unit_id), 2)
        repo.revoke_certificate(repo.certificate(gone.fingerprint), "sub-kbnn", AT, "Mất thiết bị.",
                                repo.unit(unit_id), True)
        revoked = repo.certificate(gone.fingerprint)
        assert (revoked.status, revoked.revoked_by, revoked.revoked_at, revoked.revocation_reason) \
            == ("revoked", "sub-kbnn", AT, "Mất thiết bị.")
        assert repo.unit(unit_id).account_holder_signers == {"sub-1"}   # read at once, no stale copy
        # the freed place is taken by the next signer, and the limit still holds after it
        repo.register_certificate(a_certificate(unit_id, "sub-3"), repo.unit(unit_id), 2)
        with pytest.raises(Conflict) as full:
            repo.register_certificate(a_certificate(unit_id, "sub-4"), repo.unit(unit_id), 2)
        assert full.value.code == "signer_limit_reached"
        assert repo.unit(unit_id).account_holder_signers == {"sub-1", "sub-3"}
        with pytest.raises(Conflict) as again:
            repo.revoke_certificate(repo.certificate(gone.fingerprint), "sub-kbnn", AT, "Lần hai.",
                                    repo.unit(unit_id), True)
        assert again.value.code == "certificate_already_revoked"
        assert repo.certificate(gone.fingerprint).revocation_reason == "Mất thiết bị."
        assert repo.certificate(kept.fingerprint).status == "pending"

    def test_a_move_that_changes_an_account_read_before_another_move_is_refused_whole(self, repo):
        unit_id = a_unit()
        repo.create_unit(*a_new_unit(unit_id))
        account_id = f"9523.1.{unit_id}"
        stale = repo.account(account_id)
        first, second = (self.created(repo, a_dossier(unit_id)) for _ in range(2))
        repo.move_dossier(repo.dossier(first.dossier_id), {"status": "posting", "step": REMOVE},
                          an_audit("moved"), account=repo.account(account_id),
                          account_changes={"reserved": Add(3_000_000)})
        with pytest.raises(Conflict) as refused:
            repo.move_dossier(repo.dossier(second.dossier_id), {"status": "posting"},
                              an_audit("moved"), account=stale,
                              account_changes={"reserved": Add(3_000_000)})
        assert refused.value.code == "task_already_decided"
        assert int(repo.account(account_id).reserved) == 3_000_000
        assert (repo.dossier(first.dossier_id).status, repo.dossier(first.dossier_id).step) == \
            ("posting", None)
        assert repo.dossier(second.dossier_id).status == "received"
        assert len(repo.audit_records(second.dossier_id)) == 1

    def test_a_system_move_removes_and_sets_what_it_says_with_one_audit_record(self, repo):
        # What tests/unit/test_openapi.py's own fake once proved of itself: a step removed and
        # a result (a map) set read back as DynamoDB keeps them, with the move's audit record.
        dossier = self.created(repo, a_dossier(a_unit(), status="posting"))
        repo.move_dossier(repo.dossier(dossier.dossier_id),
                          {"status": "paid", "step": REMOVE,
                           "result": {"outcome": "paid", "debit_advice": {"amount": 3_000_000}}},
                          an_audit("posted", step="posting"))
        moved = repo.dossier(dossier.dossier_id)
        assert (moved.status, moved.step) == ("paid", None)
        assert moved.result == {"outcome": "paid", "debit_advice": {"amount": 3_000_000}}
        assert [(r["seq"], r["action"]) for r in repo.audit_records(dossier.dossier_id)] == [
            (1, "submitted"), (2, "posted")]

    # --- public-investment projects (254/2025 Art.6 cl.4-5) -----------------------------------
    def test_a_project_saved_reads_back_and_a_write_from_a_stale_read_is_refused(self, repo):
        code = a_unit()
        assert repo.project(code) is None
        first = Project(Project.key(code), project_code=code, name="Trường học", owner_unit=a_unit(),
                        office_id="KV1", total_investment=10_000_000_000,
                        plans={"2026": {"allocated": 1}}, updated_at=AT, updated_by="kiemsoat")
        repo.save_project(first)
        stale = repo.project(code)
        fresh = repo.project(code)
        fresh.plans = {"2026": {"allocated": 2}}
        repo.save_project(fresh)
        stale.total_investment = 1
        with pytest.raises(Conflict):
            repo.save_project(stale)
        kept = repo.project(code)
        assert (int(kept.total_investment), kept.plans) == (10_000_000_000, {"2026": {"allocated": 2}})

    def test_a_units_dossiers_are_found_by_project_and_by_contract(self, repo):
        unit = a_unit()
        mine = a_dossier(unit)
        mine.project_code, mine.contract_number = "7000001", "HD-1"
        other = a_dossier(unit, "2026-11-23T01:00:01Z")
        other.project_code, other.contract_number = "7000002", "HD-2"
        for d in (mine, other, a_dossier(a_unit())):
            self.created(repo, d)
        assert [d.dossier_id for d in repo.project_dossiers(unit, "7000001")] == [mine.dossier_id]
        assert [d.dossier_id for d in repo.contract_dossiers(unit, "HD-2")] == [other.dossier_id]
        assert repo.project_dossiers(unit, "7999999") == []
