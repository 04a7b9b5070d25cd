"""Balance reconciliation (đối chiếu, xác nhận số dư, Decree 347/2025 Art. 10): the unit states
its book balance of an account at the end of a period, signed by its chief accountant and account
holder; the office answers "matches" or "does not match" (saying what differs) within one working
day (347/2025 Art.10 cl.2 pt.c). The officer's checklist compares the stated balance with the ledger's.
"""
from __future__ import annotations

from datetime import date

from ..adapters.repository import Repository
from ..domain.checks import Check
from ..domain.errors import InvalidField
from ..domain.voucher import ACCOUNT_ID, grouped, vnd

FIELD = "content.reconciliation"


def _date(value: object, field: str) -> date:
    try:
        if not isinstance(value, str):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidField("Ngày không hợp lệ (YYYY-MM-DD).", code="invalid_format",
                           field=field) from None


def check(content: dict, unit_id: str, repo: Repository, today: date) -> dict:
    """At submission: an account of this unit, a closed past period, a whole-đồng balance."""
    body = content.get("reconciliation")
    if not isinstance(body, dict):
        raise InvalidField("Thiếu nội dung đối chiếu số dư.", code="required", field=FIELD)
    account_id = body.get("account_id")
    if not isinstance(account_id, str) or not ACCOUNT_ID.fullmatch(account_id):
        raise InvalidField("Số tài khoản không hợp lệ.", code="invalid_format",
                           field=f"{FIELD}.account_id")
    period = body.get("period")
    if not isinstance(period, dict):
        raise InvalidField("Thiếu kỳ đối chiếu.", code="required", field=f"{FIELD}.period")
    start = _date(period.get("from"), f"{FIELD}.period.from")
    end = _date(period.get("to"), f"{FIELD}.period.to")
    if start > end or end >= today:   # the period must be over
        raise InvalidField("Kỳ đối chiếu phải là một khoảng đã kết thúc.", code="invalid_period",
                           field=f"{FIELD}.period")
    balance = body.get("book_balance")
    if isinstance(balance, bool) or not isinstance(balance, int) or not 0 <= balance < 10**15:
        raise InvalidField("Số dư phải là số nguyên đồng, không âm.", code="invalid_amount",
                           field=f"{FIELD}.book_balance")
    account = repo.account(account_id)
    if account is None or account.unit_id != unit_id:
        raise InvalidField("Tài khoản không tồn tại hoặc không thuộc đơn vị.", code="unknown_account",
                           field=f"{FIELD}.account_id")
    return {"account_id": account_id, "amount": balance}


def checks(content: dict, repo: Repository) -> list[Check]:
    """The stated book balance against the ledger's balance of the account now. (The ledger keeps
    no balance history yet: a period that ended earlier is compared with today's balance, which
    the officer reads together with the postings since.)"""
    body = content["reconciliation"]
    account = repo.account(body["account_id"])
    ledger = int(account.balance) if account else None
    book = int(body["book_balance"])
    return [Check("book_balance_matches_ledger", "Số dư đơn vị khớp số dư trên sổ KBNN",
                  ledger == book, f"đơn vị {grouped(book)} / KBNN {vnd(ledger)}" if ledger is not None
                  else "không có tài khoản")]
