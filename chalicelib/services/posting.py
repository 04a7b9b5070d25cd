"""The posting step: debit the account and issue the debit advice (giấy báo Nợ), or refuse the
dossier when the balance is short.

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
from . import common

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
            outcome = "posted" if dossier.status == catalogue.PAID else \
                (dossier.result or {}).get("code", "insufficient_balance")
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
    account = repo.account(dossier.account_id)
    amount = int(dossier.amount)
    if account is not None and account.status != "closed" and int(account.balance) >= amount:
        advice = {"outcome": catalogue.PAID, "debit_advice": {
            "number": f"GBN-{dossier.dossier_id}", "account_id": dossier.account_id,
            "amount": amount, "posted_at": at}}
        repo.record_decision(
            None, [], dossier,
            [Dossier.status.set(catalogue.PAID), Dossier.step.remove(),
             Dossier.result.set(advice), Dossier.updated_at.set(at)],
            {"at": at, "actor": common.SYSTEM_ACTOR, "action": "posted", "step": "posting",
             "from_status": dossier.status, "to_status": catalogue.PAID, "reason": None},
            account=account,
            account_actions=[Account.balance.add(-amount)])
        return "posted"
    closed = account is not None and account.status == "closed"
    reason = "Tài khoản đã được tất toán." if closed else "Số dư tài khoản không đủ để thanh toán."
    code = "account_closed" if closed else "insufficient_balance"
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
