"""A payroll line the payee's bank returned: its amount goes back to the unit's account, once.

347/2025 Art.6 cl.2 pt.b makes the treasury pay each payee the list names; when a payee's bank
sends a credit back (wrong account), the money is the unit's again. The ledger says so with a
`kbnn.ledger.payee_return` message (domain/payee_returns.py). Idempotent per (dossier, line): the
line is recorded on the dossier (`returned_lines`) in the same transaction that credits the
account and appends the audit record naming the line (the unit's notice, also in its statement
through the balance change); a copy finds the line recorded and does nothing. Two copies at once:
the dossier's version makes one transaction fail, and its retry finds the line recorded.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from ..domain import catalogue
from ..domain.changes import Add
from ..domain.errors import Conflict
from ..domain.ledger import ContractViolation
from ..domain.payee_returns import parse_return
from ..domain.voucher import vnd
from . import common, payee_lines

if TYPE_CHECKING:
    from ..adapters.documents import DocumentStore
    from ..adapters.repository import Repository

log = logging.getLogger(__name__)
CREDITED_BACK, ALREADY = "credited_back", "already_credited_back"
ATTEMPTS = 5


def on_return(body: object, *, repo: Repository, store: DocumentStore, now: datetime) -> str:
    """Credit the returned line back (or see it was). Raises on a message that names no paid
    payroll line of ours, or another amount or account: redelivered, then dead-lettered."""
    returned = parse_return(body)
    for _ in range(ATTEMPTS):
        dossier = repo.dossier(returned.posting_id)
        if dossier is None or dossier.status != catalogue.PAID:
            raise LookupError("a returned line of a posting that is not a paid dossier of ours")
        done = dict(dossier.returned_lines or {})
        if str(returned.line) in done:
            return ALREADY
        listed = payee_lines.load(repo.body(dossier).content, store)
        if listed is None or returned.line >= len(listed["lines"]):
            raise ContractViolation("a returned line the dossier's payee list does not have")
        line = listed["lines"][returned.line]
        if (line["amount"], line["account"]) != (returned.amount, returned.account):
            raise ContractViolation("a returned line with another amount or account")
        account = repo.account(dossier.account_id)
        if account is None:
            raise LookupError("a paid dossier without its account")
        at = common.iso(now)
        done[str(returned.line)] = {"amount": returned.amount, "code": returned.code,
                                    "reason": returned.reason, "returned_at": returned.returned_at,
                                    "credited_at": at}
        cause = returned.reason.rstrip(".")     # the bank's reason may end a sentence itself
        notice = (f"Dòng {returned.line + 1} ({line['name']}, tài khoản {line['account']}) bị "
                  f"ngân hàng trả lại: {cause}. Đã ghi Có lại {vnd(returned.amount)} "
                  f"vào tài khoản {dossier.account_id} của đơn vị.")
        try:
            repo.move_dossier(
                dossier, {"returned_lines": done, "updated_at": at},
                {"at": at, "actor": common.SYSTEM_ACTOR, "action": "payee_line_returned",
                 "step": None, "from_status": dossier.status, "to_status": dossier.status,
                 "reason": notice},
                account=account,
                account_changes={"balance": Add(returned.amount), "updated_at": at,
                                 "last_dossier_id": dossier.dossier_id})
        except Conflict:
            continue   # another copy (or a step) moved the dossier: read it again
        log.info("payee line returned", extra={"dossier_id": dossier.dossier_id,
                                               "line": returned.line})
        return CREDITED_BACK
    raise Conflict("returned line kept losing races", code="posting_contention")
