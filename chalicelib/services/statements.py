"""Balance reconciliation statements (Decree 347/2025 Art. 10 cl. 3: periodic reconciliation),
issued by the treasury.

The unit-initiated side (the unit states its balance, the office answers) is the
`balance_reconciliation` procedure (services/reconciliation.py). Here the treasury speaks first:

1. **The ledger.** Every `balance.changed` event reaches the statement-ledger queue, and
   `record_balance_change` keeps it as a ledger entry (account, when, version, delta, balance
   before and after, the dossier that moved it). The entry's key is the change itself, so a
   redelivered event changes nothing.
2. **Issuing.** Once a day the scheduled job issues the statements of the periods that are due
   (`domain.statements.due`): deposit accounts monthly, estimate accounts quarterly, every account
   yearly. `schedule` sends one job message per segment of a parallel Scan of the directory;
   `run_segment` issues the statements of a few pages of accounts, then passes the rest of its
   segment on in a new message. A statement's id is derived from its account and period and it
   is written with a conditional put, so running twice issues nothing twice; a run remembers its
   finished segments, so a complete run costs one read the next day.
3. **The unit answers** "matches" or "disputes", signed by its chief accountant and account holder
   over the reply's content, exactly as a dossier is signed; one reply per statement.
4. **The office resolves** a dispute (control officer of the statement's office), with a reason.
   Statuses, reply and resolution go into an append-only, hash-chained history on the statement.
5. **The report** per office and period reads counters kept in the same transactions as the
   statements and answers: no scan, one Query.
"""
from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import TYPE_CHECKING

from ..adapters.identity import Principal
from ..adapters.models import LedgerEntry, Statement
from ..adapters.repository import Repository
from ..adapters.statements import StatementStore
from ..domain import audit, catalogue, policy
from ..domain import statements as rules
from ..domain.calendar import local_date
from ..domain.commands import Resolve, Submit
from ..domain.errors import Conflict, Forbidden, InvalidField, NotFound
from . import authz, common, signing

if TYPE_CHECKING:   # record types only: the repository reads and writes them
    from ..adapters.models import Account, Unit

log = logging.getLogger(__name__)
SEGMENTS = 8              # parallel Scan segments of the directory per period
PAGE_SIZE = 100           # directory items read per Scan page
PAGES_PER_MESSAGE = 5     # then the segment continues in a new job message
STATEMENT_NOT_FOUND = "Không tìm thấy bảng đối chiếu."
_STATEMENT_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
_OFFICE = re.compile(r"[A-Za-z0-9\-]{1,32}")


# --- 1. the ledger -------------------------------------------------------------------------------
def record_balance_change(event: dict, *, store: StatementStore) -> bool:
    """Keep one `balance.changed` event as a ledger entry; False if it was already kept."""
    if event.get("event") != "balance.changed":
        return False
    account_id, _, version = event["event_id"].rpartition("#")
    entry = LedgerEntry(
        LedgerEntry.key(account_id), f"{event['occurred_at']}#{int(version):012d}",
        account_id=account_id, at=event["occurred_at"], version=int(version),
        delta=int(event["delta"]), balance=int(event["balance"]),
        previous_balance=int(event["previous_balance"]), dossier_id=event.get("dossier_id"),
        event_id=event["event_id"])
    return store.record_entry(entry)


# --- 2. issuing ------------------------------------------------------------------------------------
def schedule(now: datetime, *, store: StatementStore, segments: int = SEGMENTS) -> list[dict]:
    """The daily job (Chalice schedule): one message per unfinished segment of each due period."""
    sent = []
    for period in rules.due(local_date(now)):
        run = store.run(period.cadence, period.key)
        if run is not None and run.completed_at:
            continue
        run = run or store.start_run(period.cadence, period.key, segments, common.iso(now))
        for segment in range(int(run.segments)):
            if segment in (run.done or set()):
                continue
            message = {"cadence": period.cadence, "period": period.key, "segment": segment,
                       "segments": int(run.segments), "cursor": None, "deferred": 0}
            store.send_job(message)
            sent.append(message)
    return sent


def run_segment(message: dict, *, store: StatementStore, now: datetime,
                pages: int = PAGES_PER_MESSAGE) -> dict:
    """One job message: a few pages of one segment; the rest goes on in a new message. The
    segment counts as done only if no account had to wait for its ledger (it is re-run the next
    day otherwise; what was issued is not issued again)."""
    period = rules.parse_period(message["period"])
    cursor, deferred = message.get("cursor"), int(message.get("deferred") or 0)
    tally = _Tally()
    for _ in range(pages):
        accounts, cursor = store.account_page(message["segment"], message["segments"], cursor,
                                              PAGE_SIZE)
        _issue_page(accounts, period, store, now, tally)
        if not cursor:
            break
    deferred += tally.deferred
    if cursor:
        store.send_job({**message, "cursor": cursor, "deferred": deferred})
    elif not deferred:
        store.segment_done(period.cadence, period.key, message["segment"], common.iso(now))
    return {**tally.public(), "more": bool(cursor)}


def generate_due(now: datetime, *, store: StatementStore, periods: list[str] | None = None,
                 segments: int = SEGMENTS) -> dict[str, dict]:
    """What the job does, in this process: the due periods (or the named ones, issued even
    outside their window: an operator's catch-up) from start to end. For the local stack's
    command and the tests."""
    chosen = [rules.parse_period(p) for p in periods] if periods is not None \
        else rules.due(local_date(now))
    early = [p.key for p in chosen if p.opens > local_date(now)]
    if early:
        raise ValueError(f"periods not over yet: {', '.join(early)}")
    summary = {}
    for period in chosen:
        run = store.run(period.cadence, period.key)
        tally = _Tally()
        if run is None or not run.completed_at:
            run = run or store.start_run(period.cadence, period.key, segments, common.iso(now))
            for segment in range(int(run.segments)):
                if segment in (run.done or set()):
                    continue
                cursor, before = None, tally.deferred
                while True:
                    accounts, cursor = store.account_page(segment, int(run.segments), cursor,
                                                          PAGE_SIZE)
                    _issue_page(accounts, period, store, now, tally)
                    if not cursor:
                        break
                if tally.deferred == before:
                    store.segment_done(period.cadence, period.key, segment, common.iso(now))
        done = store.run(period.cadence, period.key)
        summary[period.key] = {**tally.public(), "cadence": period.cadence,
                               "complete": bool(done and done.completed_at)}
    return summary


class _Tally:
    def __init__(self) -> None:
        self.issued = self.existing = self.deferred = self.skipped = 0

    def public(self) -> dict:
        return {"issued": self.issued, "existing": self.existing, "deferred": self.deferred,
                "skipped": self.skipped}


def _issue_page(accounts: list[Account], period: rules.Period, store: StatementStore,
                now: datetime, tally: _Tally) -> None:
    wanted = [a for a in accounts if a.kind in rules.KINDS[period.cadence]]
    tally.skipped += len(accounts) - len(wanted)
    ids = {a.account_id: rules.statement_id(a.account_id, period) for a in wanted}
    existing = store.existing(list(ids.values()))
    units = store.units({a.unit_id for a in wanted if ids[a.account_id] not in existing})
    for account in wanted:
        if ids[account.account_id] in existing:
            tally.existing += 1
            continue
        outcome = _issue(account, units.get(account.unit_id), period, store, now)
        setattr(tally, outcome, getattr(tally, outcome) + 1)


def _issue(account: Account, unit: Unit | None, period: rules.Period, store: StatementStore,
           now: datetime) -> str:
    if unit is None:
        log.warning("account without its unit", extra={"account_id": account.account_id})
        return "skipped"
    start, _ = period.bounds()
    entries = before = None
    for fresh in (False, True):   # the Scan's copy may be stale: read the account again once
        if fresh:
            account = store.account(account.account_id) or account
        entries = [_entry(e) for e in store.ledger_since(account.account_id, start)]
        previous = store.ledger_before(account.account_id, start)
        before = _entry(previous) if previous else None
        gap = rules.ledger_gap(entries, before, balance=int(account.balance),
                               updated_at=account.updated_at, since=start)
        if gap is None:
            break
    else:
        log.info("statement deferred: %s", gap, extra={"account_id": account.account_id})
        return "deferred"
    if account.status == "closed" and not entries and int(account.balance) == 0:
        return "skipped"   # closed before the period began: nothing to reconcile
    figures = rules.figures(entries, int(account.balance), period)
    at = common.iso(now)
    statement_id = rules.statement_id(account.account_id, period)
    first = audit.next_record(audit.GENESIS, 1, statement_id=statement_id, at=at,
                              actor=common.SYSTEM_ACTOR, action="issued", status=rules.ISSUED,
                              reason=None)
    statement = Statement(
        Statement.key(statement_id), statement_id=statement_id, account_id=account.account_id,
        account_kind=account.kind, unit_id=unit.unit_id, office_id=unit.office_id,
        cadence=period.cadence, period=period.key, period_from=period.first.isoformat(),
        period_to=period.last.isoformat(), reply_by=period.reply_by.isoformat(),
        legal_basis=catalogue.version_in_force("balance_reconciliation",
                                               local_date(now)).legal_basis,
        listing=f"{period.last.isoformat()}#{period.key}#{account.account_id}",
        opening_balance=figures.opening, debits=figures.debits, credits=figures.credits,
        closing_balance=figures.closing, lines=figures.lines, line_count=figures.line_count,
        status=rules.ISSUED, issued_at=at, updated_at=at, history=[first],
        history_head=first["hash"])
    return "issued" if store.issue(statement) else "existing"


def _entry(item: LedgerEntry) -> rules.Entry:
    return rules.Entry(item.at, int(item.version), int(item.delta), int(item.balance),
                       int(item.previous_balance), item.dossier_id)


# --- reading ---------------------------------------------------------------------------------------
def _load(store: StatementStore, repo: Repository, principal: Principal, statement_id: str,
          action: str) -> Statement:
    """The statement if `action` on it is within the caller's grant; otherwise "not found"."""
    authz.require(principal, action)
    missing = NotFound(STATEMENT_NOT_FOUND, code="statement_not_found")
    statement = store.statement(statement_id) if _STATEMENT_ID.fullmatch(statement_id) else None
    if statement is None:
        raise missing
    authz.authorize(principal, action, policy.Resource(unit_id=statement.unit_id,
                                                       office_id=statement.office_id),
                    repo, not_found=missing)
    return statement


def summary(s: Statement) -> dict:
    reply = dict(s.reply) if s.reply else None
    if reply:
        reply["signatures"] = [{k: sig.get(k) for k in ("title", "signer", "fingerprint",
                                                          "algorithm")}
                               for sig in reply.get("signatures", [])]
    return {
        "statement_id": s.statement_id, "account_id": s.account_id,
        "account_kind": s.account_kind, "unit_id": s.unit_id, "office_id": s.office_id,
        "cadence": s.cadence, "period": s.period, "period_from": s.period_from,
        "period_to": s.period_to, "reply_by": s.reply_by, "legal_basis": s.legal_basis,
        "opening_balance": int(s.opening_balance), "debits": int(s.debits),
        "credits": int(s.credits), "closing_balance": int(s.closing_balance),
        "line_count": int(s.line_count or 0), "status": s.status, "issued_at": s.issued_at,
        "updated_at": s.updated_at, "reply": reply, "resolution": s.resolution,
    }


def get(principal: Principal, statement_id: str, *, store: StatementStore,
        repo: Repository) -> dict:
    s = _load(store, repo, principal, statement_id, "statement.read")
    verdict = audit.verify_chain(list(s.history or []), expected_head=s.history_head)
    return {**summary(s), "lines": list(s.lines or []),
            "lines_truncated": int(s.line_count or 0) > len(s.lines or []),
            "history": list(s.history or []), "history_verification": verdict.public()}


def list_for(principal: Principal, *, store: StatementStore, repo: Repository,
             period: str | None, status: str | None, office: str | None, limit: int,
             cursor: str | None) -> dict:
    """A unit's own statements, or an office's (leaders: `office` may name one under theirs),
    newest period first."""
    authz.require(principal, "statement.list")
    prefix = None
    if period is not None:
        p = rules.parse_period(period)
        prefix = f"{p.last.isoformat()}#{p.key}#"
    if status is not None and status not in rules.STATUSES:
        raise InvalidField("Trạng thái không hợp lệ.", code="invalid_choice", field="status")
    if principal.unit_id is not None:
        scope_attr, scope_id = "unit_id", principal.unit_id
    else:
        scope_attr, scope_id = "office_id", _office_in_scope(principal, office, repo,
                                                             "statement.list")
    page = store.statements(scope_attr, scope_id, prefix=prefix, status=status, limit=limit,
                            cursor=cursor)
    return {"items": [summary(s) for s in page.items], "next_cursor": page.next_cursor}


def _office_in_scope(principal: Principal, office: str | None, repo: Repository,
                     action: str) -> str:
    office_id = office or principal.office_id or ""
    if not _OFFICE.fullmatch(office_id):
        raise InvalidField("Mã đơn vị KBNN không hợp lệ.", code="invalid_format", field="office")
    authz.authorize(principal, action, policy.Resource(office_id=office_id), repo,
                    forbidden=Forbidden("Ngoài phạm vi đơn vị KBNN của bạn.", code="out_of_scope",
                                        field="office"))
    return office_id


# --- 3. the unit's reply ---------------------------------------------------------------------------
def reply(principal: Principal, statement_id: str, cmd: Submit, *, store: StatementStore,
          repo: Repository, now: datetime) -> dict:
    s = _load(store, repo, principal, statement_id, "statement.reply")
    if s.status != rules.ISSUED:
        raise Conflict("Bảng đối chiếu đã được trả lời.", code="statement_already_answered")
    content, answer = rules.parse_reply(cmd, statement_id)
    signed = signing.verify_submission(content, cmd.signatures,
                                       required=("chief_accountant", "account_holder"),
                                       unit_id=s.unit_id, repo=repo, now=now)
    at = common.iso(now)
    record = {"answer": answer.answer, "details": answer.details,
              "book_balance": answer.book_balance, "replied_at": at,
              "replied_by": principal.username,
              "late": local_date(now).isoformat() > s.reply_by,
              "content": content, "signatures": signed}
    history = _append(s, at, common.actor(principal), "replied", answer.status, answer.details)
    if not store.answer(s, {"status": answer.status, "reply": record, "history": history,
                            "history_head": history[-1]["hash"], "updated_at": at},
                        expected_status=rules.ISSUED, count=answer.status):
        raise Conflict("Bảng đối chiếu đã được trả lời.", code="statement_already_answered")
    return summary(_reloaded(store, statement_id))


def _append(s: Statement, at: str, actor: dict, action: str, status: str,
            reason: str | None) -> list[dict]:
    history = list(s.history or [])
    record = audit.next_record(s.history_head, len(history) + 1, statement_id=s.statement_id,
                               at=at, actor=actor, action=action, status=status, reason=reason)
    return [*history, record]


# --- 4. the office's resolution --------------------------------------------------------------------
def resolve(principal: Principal, statement_id: str, cmd: Resolve, *, store: StatementStore,
            repo: Repository, now: datetime) -> dict:
    s = _load(store, repo, principal, statement_id, "statement.resolve")
    if s.status != rules.DISPUTED:
        raise Conflict("Bảng đối chiếu không có ý kiến chênh lệch chờ giải quyết.",
                       code="statement_not_disputed")
    decision = rules.parse_resolution(cmd)
    signed = signing.verify_decision(
        cmd.signature, rules.resolution_payload(statement_id, decision.outcome,
                                                        decision.reason),
        principal=principal, title=catalogue.CONTROL_OFFICER, repo=repo, now=now)
    at = common.iso(now)
    record = {"outcome": decision.outcome, "reason": decision.reason, "resolved_at": at,
              "resolved_by": principal.username, "signature": signed}
    history = _append(s, at, common.actor(principal, catalogue.CONTROL_OFFICER), "resolved",
                      rules.RESOLVED, f"{decision.outcome}: {decision.reason}")
    if not store.answer(s, {"status": rules.RESOLVED, "resolution": record, "history": history,
                            "history_head": history[-1]["hash"], "updated_at": at},
                        expected_status=rules.DISPUTED, count="resolved"):
        raise Conflict("Bảng đối chiếu không có ý kiến chênh lệch chờ giải quyết.",
                       code="statement_not_disputed")
    return summary(_reloaded(store, statement_id))


def _reloaded(store: StatementStore, statement_id: str) -> Statement:
    """A statement read again after this request answered it (statements are never deleted)."""
    statement = store.statement(statement_id)
    if statement is None:
        raise NotFound("Không tìm thấy bảng đối chiếu.", code="statement_not_found")
    return statement


# --- 5. the report ---------------------------------------------------------------------------------
def report(principal: Principal, *, office: str | None, period: str | None,
           store: StatementStore, repo: Repository) -> dict:
    """Statements issued, confirmed, disputed, resolved and unanswered for one office and one
    period, and the confirmation rate (confirmed / issued)."""
    authz.require(principal, "report.reconciliation")
    p = rules.parse_period(period)
    office_id = _office_in_scope(principal, office, repo, "report.reconciliation")
    counts = store.counts(office_id, p.key)
    answered = counts["confirmed"] + counts["disputed"]
    return {"office_id": office_id, **p.public(), **counts,
            "unanswered": counts["issued"] - answered,
            "confirmation_rate": rules.rate(counts["confirmed"], counts["issued"]),
            "response_rate": rules.rate(answered, counts["issued"])}
