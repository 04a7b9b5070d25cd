"""The posting step: what the voucher's kind does to the account — a debit with its debit advice
(giấy báo Nợ), a credit with its credit advice (giấy báo Có) for a refund of funds, or only a
record (an advance settlement, a data adjustment, an ODA recording) — or the dossier refused when
the balance is short, the account closed, or an advance settlement no longer fits its advance.

It runs from the worker queue and may see the same message twice, so it is idempotent: the debit
happens only in the transaction that moves the dossier out of `posting` (guarded by the dossier's
version), and a redelivery after that just answers the token again. Two payments racing for the
last of a balance are serialised by the account's version: the loser re-reads and re-decides.
"""
from __future__ import annotations

import logging
from datetime import datetime

from ..adapters.models import Account, Dossier
from ..adapters.repository import Repository
from ..adapters.workflow import TaskExpired, Workflows
from ..domain import catalogue
from ..domain.errors import Conflict
from ..domain.voucher import parse_voucher
from . import common, related

log = logging.getLogger(__name__)
ATTEMPTS = 5


def post_payment(message: dict, *, repo: Repository, workflows: Workflows, now: datetime) -> str:
    dossier_id = message["dossier_id"]
    for _ in range(ATTEMPTS):
        dossier = repo.dossier(dossier_id)
        if dossier is None:
            raise LookupError("dossier of a posting step is missing")
        if dossier.status == catalogue.POSTING:
            try:
                outcome = _post_once(dossier, repo, now)
                break
            except Conflict:
                continue  # the account or dossier moved under us: read again and re-decide
        else:
            outcome = {catalogue.PAID: "posted", catalogue.RECORDED: "recorded"}.get(
                dossier.status) or (dossier.result or {}).get("code", "insufficient_balance")
            break
    else:
        raise Conflict("posting kept losing races", code="posting_contention")
    try:
        workflows.complete(message["token"], {"decision": outcome, "timeout_seconds": 1})
    except TaskExpired:
        log.warning("posting token already answered or expired", extra={"dossier_id": dossier_id})
    return outcome


def _post_once(dossier: Dossier, repo: Repository, now: datetime) -> str:
    at = common.iso(now)
    proc = catalogue.get_version(dossier.procedure, dossier.procedure_version)
    voucher = parse_voucher(repo.body(dossier).content.get("voucher"), proc.payment_kinds,
                            blocks=proc.voucher_blocks)
    account = repo.account(dossier.account_id)
    amount, effect = int(dossier.amount), voucher.kind.balance_effect
    refusal = _refusal(voucher, dossier, account, repo)
    if refusal is not None:
        code, reason = refusal
        repo.record_decision(
            None, [], dossier,
            [Dossier.status.set(catalogue.REFUSED), Dossier.step.remove(),
             Dossier.result.set({"outcome": catalogue.REFUSED, "reason": reason,
                                 "code": code, "decided_at": at}),
             Dossier.updated_at.set(at)],
            {"at": at, "actor": common.SYSTEM_ACTOR, "action": code,
             "step": "posting", "from_status": dossier.status, "to_status": catalogue.REFUSED,
             "reason": reason})
        return code
    status = catalogue.PAID if effect < 0 else catalogue.RECORDED
    advice_kind, prefix = ADVICES[effect]
    result = {"outcome": status, advice_kind: {
        "number": f"{prefix}-{dossier.dossier_id}", "account_id": dossier.account_id,
        "amount": amount, "posted_at": at}}
    money = {"account": account, "account_actions": [
        Account.balance.add(effect * amount), Account.updated_at.set(at),
        Account.last_dossier_id.set(dossier.dossier_id)]} if effect else {}
    repo.record_decision(
        None, [], dossier,
        [Dossier.status.set(status), Dossier.step.remove(),
         Dossier.result.set(result), Dossier.updated_at.set(at)],
        {"at": at, "actor": common.SYSTEM_ACTOR, "action": "posted" if effect < 0 else "recorded",
         "step": "posting", "from_status": dossier.status, "to_status": status, "reason": None},
        **money)
    return "posted" if effect < 0 else "recorded"


# What the unit receives for each balance effect: the advice and its number's prefix.
ADVICES = {-1: ("debit_advice", "GBN"), +1: ("credit_advice", "GBC"), 0: ("posting_note", "PHT")}


def _refusal(voucher, dossier: Dossier, account: Account | None,
             repo: Repository) -> tuple[str, str] | None:
    if account is None or account.status == "closed":
        return "account_closed", "Tài khoản đã được tất toán."
    if voucher.kind.balance_effect < 0 and int(account.balance) < int(dossier.amount):
        return "insufficient_balance", "Số dư tài khoản không đủ để thanh toán."
    # The related dossier was final at receipt, so only what other settlements posted since can
    # have changed: the room left in the advance.
    wrong = related.problem(voucher, dossier.unit_id, repo, dossier_id=dossier.dossier_id,
                            at_posting=True)
    if wrong is not None and wrong.code == "over_advance":
        return wrong.code, wrong.message
    return None
