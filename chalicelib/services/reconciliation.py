"""Balance reconciliation (đối chiếu, xác nhận số dư, Decree 347/2025 Art. 10): the unit sends the
form of its account and channel (347/2025 Art.10 cl.3: Mẫu 26/28 withdrawal, 27/29 payment order,
30, 31, 32 deposit) for a period that is over, signed by its chief accountant and account holder;
the product computes the same form from the ledger for that period and compares it line by line
(domain/reconciliation_forms.py). The office answers within one working day (Art.10 cl.5):
"matches" confirms the unit's form (the result, Art.10 cl.8 pt.a); "does_not_match" returns it
with the differences, and the unit reconciles again within one working day of that confirmation
(Art.10 cl.2 pt.c) — the catalogue's `re_reconcile` step, whose task turns overdue when late.

An older client may still state only `book_balance`: it is compared with the ledger's closing
balance of the period.
"""
from __future__ import annotations

from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from ..adapters.repository import Repository
from ..domain import reconciliation_forms as forms
from ..domain.calendar import VN_TZ, to_utc_iso
from ..domain.checks import Check
from ..domain.errors import InvalidField
from ..domain.voucher import ACCOUNT_ID, grouped, vnd

if TYPE_CHECKING:
    from ..adapters.statements import StatementStore

FIELD = "content.reconciliation"


def _date(value: object, field: str) -> date:
    try:
        if not isinstance(value, str):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidField("Ngày không hợp lệ (YYYY-MM-DD).", code="invalid_format",
                           field=field) from None


def period_of(content: dict) -> tuple[date, date] | None:
    """The period as sent, if it reads as one (the version a dossier is bound to may depend on its
    year: 347/2025 Art.15 cl.1 pt.d); a malformed one is left to `check`."""
    body = content.get("reconciliation")
    period: Any = body.get("period") if isinstance(body, dict) else None
    try:
        return (date.fromisoformat(period["from"]), date.fromisoformat(period["to"]))
    except (TypeError, KeyError, ValueError):
        return None


def check_period(period: Any, field: str, today: date) -> tuple[date, date]:
    """A period of one budget year that is over: the figures compared are booked ones."""
    if not isinstance(period, dict):
        raise InvalidField("Thiếu kỳ đối chiếu.", code="required", field=field)
    start = _date(period.get("from"), f"{field}.from")
    end = _date(period.get("to"), f"{field}.to")
    if start > end:
        raise InvalidField("Kỳ đối chiếu phải bắt đầu trước khi kết thúc.", code="invalid_period",
                           field=field)
    if end >= today:   # the period must be over
        raise InvalidField(f"Kỳ đối chiếu chưa kết thúc (đến {end.isoformat()}).",
                           code="period_not_over", field=f"{field}.to")
    if start.year != end.year:
        raise InvalidField("Kỳ đối chiếu phải nằm trong một năm ngân sách.", code="invalid_period",
                           field=field)
    return start, end


def check(content: dict, unit_id: str, repo: Repository, today: date) -> dict:
    """At submission: an account of this unit, a period that is over (347/2025 Art.10 cl.2 pt.c
    compares booked figures: a period still running has none yet), and the form of Art.10 cl.3."""
    body = content.get("reconciliation")
    if not isinstance(body, dict):
        raise InvalidField("Thiếu nội dung đối chiếu số dư.", code="required", field=FIELD)
    account_id = body.get("account_id")
    if not isinstance(account_id, str) or not ACCOUNT_ID.fullmatch(account_id):
        raise InvalidField("Số tài khoản không hợp lệ.", code="invalid_format",
                           field=f"{FIELD}.account_id")
    check_period(body.get("period"), f"{FIELD}.period", today)
    account = repo.account(account_id)
    if account is None or account.unit_id != unit_id:
        raise InvalidField("Tài khoản không tồn tại hoặc không thuộc đơn vị.", code="unknown_account",
                           field=f"{FIELD}.account_id")
    if "form" in body:
        parsed = forms.parse(body["form"], f"{FIELD}.form", account.kind)
        closing = next((r["cells"]["amount"] for r in parsed["rows"] if r["line"] == "closing"), 0)
        return {"account_id": account_id, "amount": max(0, closing)}
    balance = body.get("book_balance")
    if isinstance(balance, bool) or not isinstance(balance, int) or not 0 <= balance < 10**15:
        raise InvalidField("Số dư phải là số nguyên đồng, không âm.", code="invalid_amount",
                           field=f"{FIELD}.book_balance")
    return {"account_id": account_id, "amount": balance}


def _midnight(day: date) -> str:
    return to_utc_iso(datetime.combine(day, time(0), tzinfo=VN_TZ))


def ledger_figures(account_id: str, start: date, end: date, *, repo: Repository,
                   statements: StatementStore) -> forms.LedgerFigures | None:
    """The account's figures for [start, end] (local dates) from the ledger entries kept since
    1 January of that year and the balance now (closing = now less what was posted after)."""
    account = repo.account(account_id)
    if account is None:
        return None
    year_start, lo = _midnight(date(end.year, 1, 1)), _midnight(start)
    hi = _midnight(date.fromordinal(end.toordinal() + 1))
    entries = statements.ledger_since(account_id, year_start)
    after = sum(int(e.delta) for e in entries if e.at >= hi)
    closing = int(account.balance) - after
    during = [int(e.delta) for e in entries if lo <= e.at < hi]
    ytd = [int(e.delta) for e in entries if e.at < hi]
    debits, credits = sum(-d for d in during if d < 0), sum(d for d in during if d > 0)
    return forms.LedgerFigures(
        opening=closing - credits + debits, debits=debits, credits=credits, closing=closing,
        debits_ytd=sum(-d for d in ytd if d < 0), credits_ytd=sum(d for d in ytd if d > 0))


def compared(content: dict, *, repo: Repository, statements: StatementStore) -> dict[str, Any]:
    """The unit's form, the treasury's for the same period and the differences line by line
    (347/2025 Art.10 cl.2 pt.c). Periods are over, so the ledger's side no longer moves."""
    body = content["reconciliation"]
    account = repo.account(body["account_id"])
    start, end = date.fromisoformat(body["period"]["from"]), date.fromisoformat(body["period"]["to"])
    ledger = ledger_figures(body["account_id"], start, end, repo=repo, statements=statements)
    if "form" in body:
        unit = forms.unit_form(forms.parse(body["form"], f"{FIELD}.form",
                                           account.kind if account else "deposit"),
                               body["account_id"], body["period"])
    else:   # the older shape: the closing balance only, as Mẫu 32's last line
        unit = forms.document(forms.FORMS["32"], body["account_id"], body["period"], [
            {"line": "closing", "label": "Số dư cuối kỳ", "codes": {},
             "cells": {"amount": int(body["book_balance"])}}])
    if ledger is None:
        return {"unit_form": unit, "treasury_form": None, "differences": []}
    treasury = forms.treasury_form(unit["form"], body["account_id"], body["period"], ledger)
    return {"unit_form": unit, "treasury_form": treasury,
            "differences": forms.differences(unit, treasury)}


def checks(content: dict, repo: Repository, statements: StatementStore) -> list[Check]:
    """The officer's checklist: the unit's form against the ledger's, with each difference."""
    seen = compared(content, repo=repo, statements=statements)
    if seen["treasury_form"] is None:
        return [Check("form_matches_ledger", "Số liệu đơn vị khớp sổ KBNN", False,
                      "không có tài khoản")]
    diffs = seen["differences"]
    detail = "; ".join(f"{d['field']}: đơn vị {grouped(d['unit'])} / KBNN {vnd(d['treasury'])}"
                       for d in diffs[:10]) or f"Mẫu {seen['unit_form']['form']} khớp đúng"
    code = "form_matches_ledger" if "form" in content["reconciliation"] \
        else "book_balance_matches_ledger"
    return [Check(code, "Số liệu đơn vị khớp sổ KBNN", not diffs, detail)]


def view(dossier: Any, content: dict, *, repo: Repository, statements: StatementStore,
         now: datetime | None = None) -> dict[str, Any]:
    """What the dossier shows of its reconciliation: both forms and the differences; once the
    office confirms a match, the confirmed form (347/2025 Art.10 cl.8 pt.a); after a mismatch,
    the differences it was returned with and when the unit's re-reconciliation is due, overdue
    once that time has passed (Art.10 cl.2 pt.c, cl.8 pt.b)."""
    seen = compared(content, repo=repo, statements=statements)
    if dossier.status == "reconciled":
        seen["confirmed_form"] = {**seen["unit_form"], "confirmed": True,
                                  "confirmed_at": dossier.updated_at}
    if dossier.step == "re_reconcile" and dossier.open_task_id:
        task = repo.task(dossier.open_task_id)
        if task is not None:
            late = now is not None and bool(task.due_at) and task.due_at < to_utc_iso(now)
            # returned_at: when the unit got the treasury's answer, from which its working day
            # runs; reason: the office's note on the mismatch (the form it prints, printable.py)
            seen["re_reconciliation"] = {"due_at": task.due_at,
                                         "overdue": bool(task.overdue) or late,
                                         "returned_at": task.created_at,
                                         "reason": dossier.last_reason}
    return seen


def closing_compared(closing: dict, *, repo: Repository, statements: StatementStore
                     ) -> list[dict[str, Any]]:
    """Each reconciliation form a closing carries (347/2025 Art.9 cl.3 pt.b-d), compared as an
    Art. 10 reconciliation of the closing's account and period: the checklist reads the
    differences, Mẫu 25's printable document the unit's forms."""
    return [compared({"reconciliation": {"account_id": closing["account_id"],
                                         "period": closing["period"], "form": sent}},
                     repo=repo, statements=statements)
            for sent in closing.get("forms") or []]


def closing_checks(content: dict, repo: Repository, statements: StatementStore) -> list[Check]:
    """A closing's forms, each against the ledger for the closing's period: the office
    reconciles before it confirms the balance and closes (347/2025 Art.9 cl.2 pt.c)."""
    found = []
    for seen in closing_compared(content["closing"], repo=repo, statements=statements):
        found += [f"Mẫu {seen['unit_form']['form']} {d['field']}: đơn vị {grouped(d['unit'])} / "
                  f"KBNN {vnd(d['treasury'])}" for d in seen["differences"]]
    return [Check("form_matches_ledger", "Bảng đối chiếu kèm theo khớp sổ KBNN", not found,
                  "; ".join(found[:10]) or "khớp đúng")]
