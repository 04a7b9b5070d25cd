"""Utility auto-pay (347/2025 Art.6 cl.3 pt.a, 2nd paragraph): the authorisation dossier's check
and system step, the provider bill feed, revocation and the unit's view.

Each bill is decided once (adapters/autopay.py: the bill's record, the debit and the
authorisation's "still in force" guard in one transaction) and debited straight on the unit's
account, not through the core-ledger contract: a bill has no workflow step for the ledger's
confirmation to answer, and the provider has already billed, so there is nothing to reserve.
The debit still reaches the book of record the way every balance change does — the account's
change stream becomes a `balance.changed` event, and the statement ledger records it once
(services/statements.py), the risk consumer warns the unit's signers (services/risk.py). The
unit is sent the debit advice or the refusal notice (e-mail, and the same text on its
risk-warning topic) once per bill.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..adapters.autopay import AutopayStore
from ..adapters.identity import Principal
from ..adapters.models import AutopayAuthorisation, AutopayBill
from ..adapters.notify import unit_topic
from ..adapters.repository import Repository
from ..adapters.workflow import Workflows
from ..domain import autopay, catalogue
from ..domain.changes import REMOVE, Add
from ..domain.commands import RevokeAutopay
from ..domain.errors import Conflict, InvalidField, NotFound
from ..domain.voucher import vnd
from . import authz, common, system_steps
from .posting import available

if TYPE_CHECKING:
    from ..adapters.models import Dossier

log = logging.getLogger(__name__)
NOT_FOUND = "Không tìm thấy ủy quyền trích tài khoản."
MAX_REASON = 500
MAX_ATTEMPTS = 5       # a bill re-decided when a guard moved under it (the account's version)


_STORES: dict[str, AutopayStore] = {}


def store(config: Any) -> AutopayStore:
    """The auto-pay store for this process (built on first use, like every adapter)."""
    if config.region not in _STORES:
        _STORES[config.region] = AutopayStore(config.region)
    return _STORES[config.region]


# --- the dossier ------------------------------------------------------------------------------
def check(content: dict, unit_id: str, repo: Repository) -> dict:
    """At submission: the letter parses and debits one of the unit's open accounts."""
    letter = autopay.parse_authorisation(content.get("autopay"))
    account = repo.account(letter.debit_account)
    if account is None or account.unit_id != unit_id:
        raise InvalidField("Tài khoản không tồn tại hoặc không thuộc đơn vị.", code="unknown_account",
                           field="content.autopay.debit_account")
    if account.status == "closed":
        raise Conflict("Tài khoản đã được tất toán.", code="account_closed",
                       field="content.autopay.debit_account")
    return {"account_id": letter.debit_account}


def put_in_force(message: dict, *, repo: Repository, workflows: Workflows, store: AutopayStore,
                 now: datetime) -> str:
    """The system step after the office accepts: the authorisation is in force from now."""
    return system_steps.run(
        message, repo=repo, workflows=workflows, work=lambda d: _put_in_force(d, repo, store, now),
        outcome=lambda d: "in_force" if d.status == catalogue.REGISTERED else "account_closed")


def _put_in_force(dossier: Dossier, repo: Repository, store: AutopayStore, now: datetime) -> None:
    at = common.iso(now)
    letter = autopay.parse_authorisation(repo.body(dossier).content.get("autopay"))
    account = repo.account(letter.debit_account)
    if account is None or account.status == "closed":
        reason = "Tài khoản trích nợ đã được tất toán."
        repo.move_dossier(dossier, {"status": catalogue.REFUSED, "step": REMOVE, "updated_at": at,
                                    "result": {"outcome": catalogue.REFUSED, "reason": reason,
                                               "code": "account_closed"}},
                          {"at": at, "actor": common.SYSTEM_ACTOR, "action": "account_closed",
                           "step": "put_in_force", "from_status": dossier.status,
                           "to_status": catalogue.REFUSED, "reason": reason})
        return
    store.index(dossier.unit_id, dossier.dossier_id)   # idempotent; listed only once it exists
    record = AutopayAuthorisation(
        AutopayAuthorisation.key(dossier.dossier_id), authorisation_id=dossier.dossier_id,
        unit_id=dossier.unit_id, status=autopay.IN_FORCE, letter=autopay.to_record(letter),
        in_force_at=at)
    repo.move_dossier(
        dossier, {"status": catalogue.REGISTERED, "step": REMOVE, "updated_at": at,
                  "result": {"outcome": catalogue.REGISTERED, "in_force_at": at,
                             "authorisation_id": dossier.dossier_id}},
        {"at": at, "actor": common.SYSTEM_ACTOR, "action": "in_force", "step": "put_in_force",
         "from_status": dossier.status, "to_status": catalogue.REGISTERED, "reason": None},
        also_save=[record])


# --- the bill feed ----------------------------------------------------------------------------
def receive_bill(body: str, *, repo: Repository, store: AutopayStore, mailer: Any, topics: Any,
                 now: datetime) -> str:
    """One provider bill: paid or refused, once, and the unit told once. A malformed message
    raises (redelivered, then dead-lettered for the operator: there is no one to refuse it to)."""
    try:
        raw = json.loads(body)
    except ValueError as exc:
        raise autopay.MalformedBill("not JSON") from exc
    bill = autopay.parse_bill(raw)
    for _ in range(MAX_ATTEMPTS):
        decided = store.bill(bill.key)
        if decided is None:
            decided = _decide(bill, raw, repo, store, now)
        if decided is not None:
            if decided.notified_at is None and store.claim_notice(decided, common.iso(now)):
                try:
                    _notify(decided, repo, mailer, topics)
                except Exception:
                    store.release_notice(decided)     # the redelivery sends it
                    raise
            return decided.outcome
    raise RuntimeError("the bill's account kept moving")   # redelivered, then dead-lettered


def _decide(bill: autopay.Bill, raw: dict, repo: Repository, store: AutopayStore,
            now: datetime) -> AutopayBill | None:
    """Decide and write the bill; None if a guard moved (decide again)."""
    at = common.iso(now)
    auth = store.authorisation(bill.authorisation_id)
    letter = autopay.from_record(auth.letter) if auth is not None else None
    account = repo.account(letter.debit_account) if letter is not None else None
    refusal = autopay.refusal(
        status=auth.status if auth is not None else "", authorisation=letter, bill=bill,
        available=available(account) if account is not None else 0,
        account_open=account is not None and account.status != "closed",
        today=autopay.local_today(now))
    record = AutopayBill(
        AutopayBill.key(bill.key), bill_id=bill.bill_id, authorisation_id=bill.authorisation_id,
        unit_id=auth.unit_id if auth is not None else "", amount=bill.amount, bill=raw,
        account_id=letter.debit_account if letter is not None else None, decided_at=at,
        outcome=autopay.REFUSED if refusal else autopay.PAID,
        code=refusal.code if refusal else None, reason=refusal.reason if refusal else None)
    changes = {"balance": Add(-bill.amount), "updated_at": at,
               "last_dossier_id": bill.authorisation_id}
    outcome = store.decide(record, account=None if refusal else account, account_changes=changes,
                           authorisation_exists=auth is not None)
    if outcome.committed:
        log.info("autopay bill decided", extra={"bill": bill.key, "outcome": record.outcome,
                                                "code": record.code})
        return record
    return None   # decided meanwhile (read it) or a guard moved (decide again)


def _notify(bill: AutopayBill, repo: Repository, mailer: Any, topics: Any) -> None:
    """The debit advice (347/2025 Art.6 cl.2 pt.i) or the refusal notice with its reason
    (347/2025 Art.6 cl.2 pt.k) to the unit's address, and the same on its signers' risk-warning topic."""
    if not bill.unit_id:     # no such authorisation: no unit to tell
        log.warning("autopay bill for an unknown authorisation", extra={"bill": bill.pk})
        return
    subject, text = notice_text(bill)
    unit = repo.unit(bill.unit_id)
    if unit is not None and unit.email:
        mailer.send(unit.email, subject, text)
    topics.publish(unit_topic(bill.unit_id), subject, text, text[:140],
                   {"kind": "autopay", "event": f"autopay.bill_{bill.outcome}",
                    "dossier_id": bill.authorisation_id, "bill_id": bill.bill_id})


def notice_text(bill: AutopayBill) -> tuple[str, str]:
    raw = bill.bill or {}
    what = (f"hóa đơn {autopay.SERVICE_VI.get(raw.get('service_kind', ''), '')} số {bill.bill_id}"
            f" kỳ {raw.get('period', '')} (mã khách hàng {raw.get('customer_code', '')})")
    if bill.outcome == autopay.PAID:
        return (f"[KBNN] Báo Nợ: đã trích tài khoản {bill.account_id} {vnd(int(bill.amount))}",
                f"Kho bạc Nhà nước đã trích tài khoản {bill.account_id} số tiền "
                f"{vnd(int(bill.amount))} để thanh toán {what} theo ủy quyền "
                f"{bill.authorisation_id}.")
    return (f"[KBNN] Từ chối thanh toán tự động {what}",
            f"Kho bạc Nhà nước từ chối thanh toán {what}, số tiền {vnd(int(bill.amount))}, "
            f"theo ủy quyền {bill.authorisation_id}: {bill.reason}")


# --- the unit's view and revocation -----------------------------------------------------------
def _view(auth: AutopayAuthorisation, bills: list[AutopayBill] | None = None) -> dict:
    view = {"authorisation_id": auth.authorisation_id, "status": auth.status,
            "in_force_at": auth.in_force_at, "revoked_at": auth.revoked_at,
            "revocation_reason": auth.revocation_reason, **auth.letter}
    if bills is not None:
        view["bills"] = sorted((bill_view(b) for b in bills),
                               key=lambda b: (b["decided_at"], b["bill_id"]))
    return view


def bill_view(bill: AutopayBill) -> dict:
    raw = bill.bill or {}
    return {"bill_id": bill.bill_id, "provider_tax_code": raw.get("provider_tax_code"),
            "customer_code": raw.get("customer_code"), "period": raw.get("period"),
            "amount": int(bill.amount), "outcome": bill.outcome, "code": bill.code,
            "reason": bill.reason, "decided_at": bill.decided_at}


# The routes pass the store as a factory: the policy answers before any adapter is built.
StoreOf = Callable[[], AutopayStore]


def list_for(principal: Principal, *, store: StoreOf) -> dict:
    authz.require(principal, "autopay.read")
    unit_id = common.unit_of(principal)
    return {"items": [_view(a) for a in store().authorisations_of(unit_id)]}


def _own(principal: Principal, authorisation_id: str, store: AutopayStore) -> AutopayAuthorisation:
    unit_id = common.unit_of(principal)
    auth = store.authorisation(authorisation_id) \
        if common.DOSSIER_ID.fullmatch(authorisation_id) else None
    if auth is None or auth.unit_id != unit_id:   # another unit's: not found, never "forbidden"
        raise NotFound(NOT_FOUND, code="authorisation_not_found", field="authorisation_id")
    return auth


def read(principal: Principal, authorisation_id: str, *, store: StoreOf) -> dict:
    authz.require(principal, "autopay.read")
    auth = _own(principal, authorisation_id, store())
    return _view(auth, store().bills(sorted(auth.bill_keys or ())))


def revocation_reason(cmd: RevokeAutopay) -> str | None:
    """The optional reason of a revocation (at most 500 characters)."""
    reason = cmd.reason
    if reason is None:
        return None
    if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_REASON:
        raise InvalidField("Lý do thu hồi tối đa 500 ký tự.", code="reason_required",
                           field="reason")
    return reason.strip()


def revoke(principal: Principal, authorisation_id: str, cmd: RevokeAutopay, *, store: StoreOf,
           now: datetime) -> dict:
    """The unit withdraws its authorisation, at once: a bill decided after this is refused (the
    bill's transaction requires the authorisation in force). Revoking twice answers the same."""
    authz.require(principal, "autopay.revoke")
    reason = revocation_reason(cmd)
    auth = _own(principal, authorisation_id, store())
    if auth.status == autopay.IN_FORCE:
        store().revoke(authorisation_id, principal.sub, common.iso(now), reason)
    return read(principal, authorisation_id, store=store)
