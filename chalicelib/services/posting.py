"""The posting step: what the voucher's kind does to the account — a debit with its debit advice
(giấy báo Nợ), a credit with its credit advice (giấy báo Có) for a refund of funds, or only a
record (an advance settlement, a data adjustment, an ODA recording) — booked in the core ledger
(TABMIS), or the dossier refused when the balance is short, the account closed, or an advance
settlement no longer fits its advance. A settlement above its advance is one posting: the advance
converted and the difference debited (347/2025 Art.6 cl.2 pt.e).

The step runs from the worker queue. It checks as before and, in one transaction, writes the
outbox item (the posting request, keyed by the dossier id: the ledger's idempotency key), marks
the dossier as sent and, for a debit, reserves the amount on the account (guarded by the
account's version: two payments racing for the last of a balance have exactly one winner, and a
payment waiting for the ledger still holds its money). Then it hands the request to the ledger
and returns without answering its task token: the workflow waits at `posting` until the ledger
confirms. `conclude()` (called by the ledger adapter with the confirmation) ends the dossier —
paid or recorded with the advice numbered from the ledger's reference, the balance moved, or
refused with the ledger's reason and the reservation released — in one transaction, and the
token is answered after it.

A message may arrive twice, and the workflow re-runs the step when it times out: a dossier
already sent only takes the newest token (and asks the ledger again unless it is parked); a
dossier already ended only answers the token again.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from ..adapters.ledger import LedgerAdapter
from ..adapters.models import Account, Dossier, LedgerPosting
from ..adapters.repository import Repository
from ..adapters.workflow import TaskExpired, Workflows
from ..domain import catalogue, investment
from ..domain import ledger as contract
from ..domain.budget_forms import spendable
from ..domain.changes import REMOVE, Add
from ..domain.checks import debit_amount
from ..domain.errors import Conflict
from ..domain.voucher import parse_voucher
from . import budget_forms, common, payee_lines, projects, related

log = logging.getLogger(__name__)
ATTEMPTS = 5
REQUESTED, PARKED = "requested", "parked"        # outbox item states before the ledger's answer
LEDGER_REJECTED = "ledger_rejected"             # the step's decision when the ledger refuses


def post_payment(message: dict, *, repo: Repository, workflows: Workflows, now: datetime,
                 ledger: LedgerAdapter | None = None) -> str:
    """Returns the step's decision, or `requested` while the ledger has not answered.
    (`ledger` may be left out only where every dossier it sees has already ended.)"""
    dossier_id = message["dossier_id"]
    for _ in range(ATTEMPTS):
        dossier = repo.dossier(dossier_id)
        if dossier is None:
            raise LookupError("dossier of a posting step is missing")
        if dossier.status != catalogue.POSTING:
            outcome = outcome_of(dossier)
            answer(workflows, message["token"], outcome, dossier_id)
            return outcome
        try:
            if dossier.ledger_requested_at:
                return _ask_again(dossier_id, message["token"], ledger, now)
            outcome = _request(dossier, message["token"], repo, ledger, now)
        except Conflict:
            continue  # the account, the dossier or the outbox item moved under us: decide again
        if outcome != REQUESTED:
            answer(workflows, message["token"], outcome, dossier_id)
        return outcome
    raise Conflict("posting kept losing races", code="posting_contention")


def outcome_of(dossier: Dossier) -> str:
    """The decision of a dossier that has left the posting step."""
    return {catalogue.PAID: "posted", catalogue.RECORDED: "recorded"}.get(dossier.status) \
        or (dossier.result or {}).get("code", "insufficient_balance")


def answer(workflows: Workflows, token: str, decision: str, dossier_id: str) -> None:
    try:
        workflows.complete(token, {"decision": decision, "timeout_seconds": 1})
    except TaskExpired:
        log.warning("posting token already answered or expired", extra={"dossier_id": dossier_id})


def _request(dossier: Dossier, token: str, repo: Repository, ledger: LedgerAdapter | None,
             now: datetime) -> str:
    at = common.iso(now)
    proc = catalogue.get_version(dossier.procedure, dossier.procedure_version)
    content = repo.body(dossier).content
    signed = content.get("voucher") or {}
    voucher = parse_voucher(signed, proc.payment_kinds,
                            blocks=proc.voucher_blocks)
    account = repo.account(dossier.account_id)
    amount, effect = int(dossier.amount), budget_forms.balance_effect(content, voucher, now)
    settlement = None
    if voucher.payment_kind == "advance_settlement":   # 347/2025 Art.6 cl.2 pt.e
        settlement = {"converted": amount - voucher.difference_to_pay,
                      "difference": voucher.difference_to_pay}
        if voucher.difference_to_pay:   # the transfer voucher: the difference is paid out
            amount, effect = voucher.difference_to_pay, -1
    recovered = int(dossier.advance_converted or 0) if voucher.payment_kind == "payment" else 0
    if recovered:   # 254/2025 Art.9 cl.5: the recovered part converts the open advance
        settlement = {"converted": recovered, "difference": amount - recovered}
        amount, effect = amount - recovered, (-1 if amount > recovered else 0)
    refusal = _refusal(voucher, dossier, account, repo, content=content, recovered=recovered)
    if refusal is not None:
        code, reason = refusal
        repo.move_dossier(
            dossier,
            {"status": catalogue.REFUSED, "step": REMOVE,
             "result": {"outcome": catalogue.REFUSED, "reason": reason, "code": code,
                        "decided_at": at},
             "updated_at": at},
            {"at": at, "actor": common.SYSTEM_ACTOR, "action": code,
             "step": "posting", "from_status": dossier.status, "to_status": catalogue.REFUSED,
             "reason": reason})
        return code
    if ledger is None:
        raise RuntimeError("the posting step needs the ledger adapter")
    assert account is not None   # _refusal refuses a dossier whose account is gone
    reserve = amount if effect < 0 else 0
    request = contract.request(
        posting_id=dossier.dossier_id, entry=contract.ENTRIES[effect], amount=amount,
        account_id=dossier.account_id, account_kind=account.kind,
        unit_id=dossier.unit_id, office_id=dossier.office_id, payment_kind=voucher.payment_kind,
        voucher=signed, correlation_id=dossier.correlation_id,
        requested_at=at, settlement=settlement, credit_lines=payee_lines.credit_lines(content))
    item = LedgerPosting(dossier.dossier_id, state=REQUESTED, entry=request["entry"],
                         amount=amount, account_id=dossier.account_id, reserved=reserve,
                         request=request, token=token, attempts=1, failures=0, requested_at=at)
    ledger.open(item, dossier, {"ledger_requested_at": at},
                account if reserve else None, {"reserved": Add(reserve)})
    # After the commit: if this send is lost, the redelivered message (or the step's timeout)
    # finds the dossier sent and asks again; the ledger answers a repeat with the same outcome.
    ledger.send(item, attempt=1, sent_at=at)
    return REQUESTED


def _ask_again(dossier_id: str, token: str, ledger: LedgerAdapter | None, now: datetime) -> str:
    """The step again for a dossier already sent: a redelivered message, or the workflow's
    re-run after the step timed out (with a new token). The confirmation must answer the newest
    token; the request is sent again (same attempt) unless the posting is parked."""
    if ledger is None:
        raise RuntimeError("the posting step needs the ledger adapter")
    item = ledger.posting(dossier_id)
    if item is None:
        raise LookupError("a dossier sent to the ledger without its outbox item")
    if item.state not in (REQUESTED, PARKED):
        raise Conflict("concluded meanwhile", code="posting_contention")  # re-read the dossier
    if item.token != token:
        ledger.update(item, {"token": token})
    if item.state == REQUESTED:
        ledger.send(item, attempt=int(item.attempts), sent_at=common.iso(now))
    return REQUESTED


def conclude(item: LedgerPosting, dossier: Dossier, confirmation: contract.Confirmation, *,
             ledger: LedgerAdapter, now: datetime) -> str:
    """The ledger's final answer, written: the dossier paid or recorded (the advice numbered from
    the ledger's reference, the balance moved as the entry says, the reservation released) or
    refused with the ledger's reason (the reservation released, the balance untouched).
    Returns the step's decision; raises Conflict if anything moved meanwhile."""
    at = common.iso(now)
    amount, held = int(item.amount), int(item.reserved or 0)
    if confirmation.status == contract.POSTED:
        effect = contract.EFFECTS[item.entry]
        status = catalogue.PAID if effect < 0 else catalogue.RECORDED
        decision = "posted" if effect < 0 else "recorded"
        advice_kind, prefix = ADVICES[effect]
        reference = confirmation.ledger_reference
        # When the ledger booked it is when the balance changed: the advice and the account
        # (whose balance.changed event the statements' ledger keeps) say the same instant.
        posted_at = common.iso(common.parse_iso(confirmation.posted_at)) \
            if confirmation.posted_at else at
        result: dict[str, Any] = {"outcome": status, advice_kind: {
            "number": f"{prefix}-{reference}", "ledger_reference": reference,
            "account_id": item.account_id, "amount": amount, "posted_at": posted_at,
            **split_advice(item.request)}}
        if (item.request or {}).get("settlement"):   # what the advance settlement converted
            result["settlement"] = item.request["settlement"]
        account_changes: dict[str, Any] = {"balance": Add(effect * amount), "updated_at": posted_at,
                                           "last_dossier_id": item.posting_id} if effect else {}
        reason = None
    else:
        status, decision, reference = catalogue.REFUSED, LEDGER_REJECTED, None
        reason = confirmation.reason
        result = {"outcome": status, "code": LEDGER_REJECTED, "ledger_code": confirmation.code,
                  "reason": reason, "decided_at": at}
        account_changes = {}
    if held:
        account_changes["reserved"] = Add(-held)
    ledger.conclude(
        item, {"state": confirmation.status, "decision": decision, "ledger_reference": reference,
               "concluded_at": at},
        dossier, {"status": status, "step": REMOVE, "result": result, "updated_at": at},
        {"at": at, "actor": common.SYSTEM_ACTOR, "action": decision, "step": "posting",
         "from_status": catalogue.POSTING, "to_status": status, "reason": reason,
         "ledger_reference": reference},
        account_id=item.account_id if account_changes else None, account_changes=account_changes)
    return decision


def split_advice(request: dict | None) -> dict:
    """A split voucher's debit advice shows both parts (Mẫu 14 / 18, 347/2025 Art.6 cl.3 pt.a:
    the account is debited once for the total; `budget_payment` went to the revenue account,
    `payee_amount` to the payee). Nothing for a voucher paid whole to its payee."""
    body = request or {}
    part = body.get("budget_payment")
    if not part:
        return {}
    return {"payee_amount": body["payee_amount"],
            "budget_payment": {k: v for k, v in part.items() if v is not None}}


# What the unit receives for each balance effect: the advice and its number's prefix. A payment
# gets its debit advice (347/2025 Art.6 cl.2 pt.i); returned funds credit the account
# (347/2025 Art.6 cl.2 pt.g); an ODA recording is booked only (347/2025 Art.7 cl.2 pt.c).
ADVICES = {-1: ("debit_advice", "GBN"), +1: ("credit_advice", "GBC"), 0: ("posting_note", "PHT")}


def available(account: Account) -> int:
    """The balance less what payments sent to the ledger and not yet confirmed hold, plus what
    was allocated temporarily (347/2025 Art.6 cl.3 pt.d; domain/budget_forms.py `spendable`)."""
    return spendable(int(account.balance), int(account.reserved or 0),
                     int(getattr(account, "temporary_allocation", None) or 0))


def _refusal(voucher, dossier: Dossier, account: Account | None,
             repo: Repository, *, content: dict, recovered: int = 0) -> tuple[str, str] | None:
    if account is None or account.status == "closed":
        return "account_closed", "Tài khoản đã được tất toán."
    # Within the balance: 347/2025 Art.6 cl.2 pt.c (estimate account) and 347/2025 Art.6 cl.2 pt.đ
    # (deposit account), checked again here because the balance may have moved since review.
    if available(account) < debit_amount(voucher) - recovered:
        return "insufficient_balance", "Số dư tài khoản không đủ để thanh toán."
    if investment.applies_to(dossier.procedure):
        # 254/2025 Art.6 cl.5 (and cl.4, Art.9 cl.4-5): another dossier may have used the plan since receipt.
        beyond = projects.posting_refusal(content.get("voucher") or {}, dossier, repo)
        if beyond is not None:
            return beyond
    # The related dossier was final at receipt, so only what other settlements posted (or sent
    # to the ledger) since can have changed: the room left in the advance.
    wrong = related.problem(voucher, dossier.unit_id, repo, dossier_id=dossier.dossier_id,
                            at_posting=True)
    if wrong is not None and wrong.code == "over_advance":
        return wrong.code, wrong.message
    return None
