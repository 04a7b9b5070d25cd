"""Account closing (tất toán tài khoản, Decree 347/2025 Art. 9).

The unit sends Mẫu 25 (the request: account, reason, details) with the reconciliation forms of
its account (347/2025 Art.9 cl.3 pt.b-d: an estimate account Mẫu 27+29 (payment-order channel)
or 26+28 (withdrawal channel); a deposit account Mẫu 32) for a period that is over, signed by
its chief accountant and account holder. The office reconciles (the checklist compares each form
with the ledger, as for Art. 10) and decides; the system step then confirms the balance as at the
reconciliation date and closes the account, and the result is Mẫu 25 confirmed by the treasury
(347/2025 Art.9 cl.2 pt.c, cl.8) with the day the account stops being valid.

No "zero balance only" rule: Art. 9 and Mẫu 25 make none, and Mẫu 25 names no destination for a
remaining balance (its "chi tiết" line is free text, carried as `details`). The balance is
confirmed on the result; what becomes of it is the unit's request in `details`, handled by the
office outside this procedure. A closed account takes no payment: posting refuses it even if a
submission slipped past the directory cache.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from ..adapters.repository import Repository
from ..adapters.workflow import Workflows
from ..domain import catalogue
from ..domain import reconciliation_forms as forms
from ..domain.calendar import local_date
from ..domain.changes import REMOVE
from ..domain.errors import Conflict, InvalidField
from ..domain.voucher import ACCOUNT_ID, vnd
from . import common, reconciliation, system_steps

if TYPE_CHECKING:   # record types only: the repository reads and writes them
    from ..adapters.models import Dossier

MAX_REASON = 500


def check(content: dict, unit_id: str, repo: Repository, today: date | None = None) -> dict:
    """At submission: the account is this unit's and open, and Mẫu 25 comes with the forms of
    347/2025 Art.9 cl.3 for a period that is over; returns the dossier's facts."""
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
    details = closing.get("details")
    if details is not None and (not isinstance(details, str) or len(details) > MAX_REASON):
        raise InvalidField("Chi tiết đề nghị tối đa 500 ký tự.", code="too_long",
                           field="content.closing.details")
    if today is not None:
        _check_forms(closing, account.kind, today)
    return {"account_id": account_id}


def _check_forms(closing: dict, account_kind: str, today: date) -> None:
    """347/2025 Art.9 cl.3 pt.b-d: the reconciliation forms of the account's kind and channel,
    for the period ending at the reconciliation date (Art.9 cl.2 pt.c)."""
    field = "content.closing"
    reconciliation.check_period(closing.get("period"), f"{field}.period", today)
    sent = closing.get("forms")
    if not isinstance(sent, list) or not sent:
        raise InvalidField("Thiếu bảng đối chiếu kèm giấy đề nghị tất toán (Mẫu 26-29 hoặc 32).",
                           code="forms_required", field=f"{field}.forms")
    numbers = {forms.parse(f, f"{field}.forms[{i}]", account_kind)["form"]
               for i, f in enumerate(sent)}
    allowed = forms.CLOSING_SETS.get(account_kind, ())
    if len(numbers) != len(sent) or numbers not in allowed:
        wanted = " hoặc ".join("+".join(sorted(s)) for s in allowed)
        raise InvalidField(f"Tài khoản này cần Mẫu {wanted}.", code="forms_mismatch",
                           field=f"{field}.forms")


def close(message: dict, *, repo: Repository, workflows: Workflows, now: datetime) -> str:
    return system_steps.run(
        message, repo=repo, workflows=workflows, work=lambda d: _close(d, repo, now),
        outcome=lambda d: "closed")


def _close(dossier: Dossier, repo: Repository, now: datetime) -> None:
    at = common.iso(now)
    account = repo.account(dossier.account_id)
    if account is None:   # checked at receipt, and accounts are never deleted
        raise LookupError("the account of a closing dossier is missing")  # redelivered, then DLQ
    body = repo.body(dossier)
    closing = (body.content.get("closing") if body else None) or {}
    period = closing.get("period") or {}
    confirmed = mau_25(closing, balance=int(account.balance), closed_on=local_date(now),
                       reconciled_to=period.get("to"))
    repo.move_dossier(
        dossier,
        {"status": catalogue.CLOSED, "step": REMOVE, "updated_at": at,
         "result": {"outcome": catalogue.CLOSED, "account_id": dossier.account_id,
                    "closed_at": at, "confirmed_form": confirmed}},
        {"at": at, "actor": common.SYSTEM_ACTOR, "action": "closed", "step": "close_account",
         "from_status": dossier.status, "to_status": catalogue.CLOSED, "reason": None},
        account=account, account_changes={"status": "closed"})


def mau_25(closing: dict, *, balance: int, closed_on: date, reconciled_to: str | None) -> dict:
    """Mẫu 25 as the treasury confirms it (347/2025 Art.9 cl.2 pt.c, cl.8): the request, the
    balance confirmed as at the reconciliation date, the day the account stops being valid, and
    which reconciliation forms came with it. A plain dict for the printable documents."""
    return {"form": "25", "symbol": "01-TTTK/KBNN", "title": "Giấy đề nghị tất toán tài khoản",
            "account_id": closing.get("account_id"), "reason": closing.get("reason"),
            "details": closing.get("details"), "reconciled_to": reconciled_to,
            "confirmed_balance": balance, "confirmed_balance_text": vnd(balance),
            "effective_end": closed_on.isoformat(),
            "forms": sorted(str(f.get("form")) for f in closing.get("forms") or []
                            if isinstance(f, dict)),
            "confirmed": True}
