"""Account closing (tất toán tài khoản, Decree 347/2025 Art. 9): the treasury confirms the
balance and closes the account (347/2025 Art.9 cl.2 pt.c), here only at a zero balance.

The unit asks, signed by its chief accountant and account holder; the office decides; the system
step closes the account only if its balance is zero at that moment (read fresh, the write guarded
by the account's version), otherwise the dossier ends refused with the balance as the reason.
A closed account takes no payment: posting refuses it even if a submission slipped past the
directory cache.
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from ..adapters.repository import Repository
from ..adapters.workflow import Workflows
from ..domain import catalogue
from ..domain.changes import REMOVE
from ..domain.errors import Conflict, InvalidField
from ..domain.voucher import ACCOUNT_ID, vnd
from . import common, system_steps

if TYPE_CHECKING:   # record types only: the repository reads and writes them
    from ..adapters.models import Account, Dossier

MAX_REASON = 500


def check(content: dict, unit_id: str, repo: Repository) -> dict:
    """At submission: the account is this unit's and open; returns the dossier's facts."""
    closing = content.get("closing")
    if not isinstance(closing, dict):
        raise InvalidField("Thiếu nội dung tất toán.", code="required", field="content.closing")
    account_id, reason = closing.get("account_id"), closing.get("reason")
    if not isinstance(account_id, str) or not ACCOUNT_ID.fullmatch(account_id):
        raise InvalidField("Số tài khoản không hợp lệ.", code="invalid_format",
                           field="content.closing.account_id")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_REASON:
        raise InvalidField("Cần lý do tất toán (tối đa 500 ký tự).", code="reason_required",
                           field="content.closing.reason")
    account = repo.account(account_id)
    if account is None or account.unit_id != unit_id:
        raise InvalidField("Tài khoản không tồn tại hoặc không thuộc đơn vị.", code="unknown_account",
                           field="content.closing.account_id")
    if account.status == "closed":
        raise Conflict("Tài khoản đã được tất toán.", code="account_closed",
                       field="content.closing.account_id")
    return {"account_id": account_id}


def close(message: dict, *, repo: Repository, workflows: Workflows, now: datetime) -> str:
    return system_steps.run(
        message, repo=repo, workflows=workflows, work=lambda d: _close(d, repo, now),
        outcome=lambda d: "closed" if d.status == catalogue.CLOSED else "balance_not_zero")


def _close(dossier: Dossier, repo: Repository, now: datetime) -> None:
    at = common.iso(now)
    account = repo.account(dossier.account_id)
    if account is None:   # checked at receipt, and accounts are never deleted
        raise LookupError("the account of a closing dossier is missing")  # redelivered, then DLQ
    balance = int(account.balance)
    closing: Account | None = None
    if balance == 0:
        status, action, reason, result = catalogue.CLOSED, "closed", None, {"closed_at": at}
        closing = account
    else:
        status, action = catalogue.REFUSED, "balance_not_zero"
        reason = f"Số dư tài khoản còn {vnd(balance)}; chỉ tất toán khi số dư bằng 0."
        result = {"reason": reason, "code": "balance_not_zero"}
    repo.move_dossier(
        dossier,
        {"status": status, "step": REMOVE, "updated_at": at,
         "result": {"outcome": status, "account_id": dossier.account_id, **result}},
        {"at": at, "actor": common.SYSTEM_ACTOR, "action": action, "step": "close_account",
         "from_status": dossier.status, "to_status": status, "reason": reason},
        account=closing, account_changes={"status": "closed"})
