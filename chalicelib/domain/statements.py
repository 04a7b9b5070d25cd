"""Balance reconciliation statements (đối chiếu, xác nhận số dư, Decree 347/2025 Art. 10), the
treasury's side: which periods are due when, a statement's figures from the ledger, and what a
reply and a resolution may say.

Deposit accounts are reconciled monthly, estimate accounts quarterly, and every account once a
year (the periodic reconciliations of 347/2025 Art.10 cl.3; the cadences are the treasury's).
The treasury issues each statement as soon as its period is over (local dates,
Asia/Ho_Chi_Minh) and the unit answers by the 10th of the following month (quarterly: of the month
after the quarter; annual: 10 February). The job issues a period's statements only inside that
window, so a statement is never issued late by surprise; an operator can still issue a missed
period by naming it.

Pure: dates, integers and dicts only; the adapters and services do the I/O.
"""
from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from .calendar import VN_TZ, to_utc_iso
from .commands import Resolve, Submit
from .errors import InvalidField

MONTHLY, QUARTERLY, ANNUAL = "monthly", "quarterly", "annual"
CADENCES = (MONTHLY, QUARTERLY, ANNUAL)
# Which account kinds each cadence covers.
KINDS = {MONTHLY: ("deposit",), QUARTERLY: ("estimate",), ANNUAL: ("deposit", "estimate")}
REPLY_DAY = 10            # the unit answers by the 10th
ANNUAL_REPLY_MONTH = 2    # ...of February for the year

# Statement statuses: issued -> confirmed (the unit says it matches) | disputed -> resolved.
ISSUED, CONFIRMED, DISPUTED, RESOLVED = "issued", "confirmed", "disputed", "resolved"
STATUSES = (ISSUED, CONFIRMED, DISPUTED, RESOLVED)
ANSWERS = {"matches": CONFIRMED, "disputes": DISPUTED}
# The office's resolution of a dispute: its figures stand (the unit corrects its books), or the
# unit is right and the treasury corrects its records.
OUTCOMES = ("upheld", "corrected")
MAX_DETAILS = 2000
MAX_REASON = 1000
MAX_LINES = 500           # lines kept on a statement; the ledger keeps them all
RESOLUTION_PURPOSE = "kbnn.statement_resolution"
_NAMESPACE = uuid.UUID("4b1f6a3e-2f0d-5c8e-9a57-0d8c3b7e6a21")
_KEY = re.compile(r"(?P<year>2\d{3})(?:-(?:(?P<month>0[1-9]|1[0-2])|Q(?P<quarter>[1-4])))?")


@dataclass(frozen=True)
class Period:
    cadence: str
    key: str            # "2026-10", "2026-Q3", "2026"
    first: date
    last: date
    reply_by: date

    @property
    def opens(self) -> date:
        """The first day the statements may be issued: the day after the period."""
        return self.last + timedelta(days=1)

    def is_due(self, today: date) -> bool:
        return self.opens <= today <= self.reply_by

    def bounds(self) -> tuple[str, str]:
        """[start, end) of the period as UTC ISO instants: local midnights."""
        return _midnight(self.first), _midnight(self.opens)

    def public(self) -> dict:
        return {"cadence": self.cadence, "period": self.key, "from": self.first.isoformat(),
                "to": self.last.isoformat(), "reply_by": self.reply_by.isoformat()}


def _midnight(day: date) -> str:
    return to_utc_iso(datetime.combine(day, time(0), tzinfo=VN_TZ))


def _month_after(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def month(year: int, m: int) -> Period:
    ny, nm = _month_after(year, m)
    return Period(MONTHLY, f"{year}-{m:02d}", date(year, m, 1),
                  date(ny, nm, 1) - timedelta(days=1), date(ny, nm, REPLY_DAY))


def quarter(year: int, q: int) -> Period:
    first = date(year, 3 * q - 2, 1)
    ny, nm = _month_after(year, 3 * q)
    return Period(QUARTERLY, f"{year}-Q{q}", first, date(ny, nm, 1) - timedelta(days=1),
                  date(ny, nm, REPLY_DAY))


def year(y: int) -> Period:
    return Period(ANNUAL, str(y), date(y, 1, 1), date(y, 12, 31),
                  date(y + 1, ANNUAL_REPLY_MONTH, REPLY_DAY))


def containing(cadence: str, day: date) -> Period:
    if cadence == MONTHLY:
        return month(day.year, day.month)
    if cadence == QUARTERLY:
        return quarter(day.year, (day.month - 1) // 3 + 1)
    return year(day.year)


def last_completed(cadence: str, today: date) -> Period:
    return containing(cadence, containing(cadence, today).first - timedelta(days=1))


def due(today: date) -> list[Period]:
    """The periods whose statements may be issued today: over, and not past the reply date."""
    return [p for p in map(lambda c: last_completed(c, today), CADENCES) if p.is_due(today)]


def parse_period(key: Any, field: str = "period") -> Period:
    match = _KEY.fullmatch(key) if isinstance(key, str) else None
    if match is None:
        raise InvalidField("Kỳ đối chiếu phải có dạng YYYY-MM, YYYY-Qn hoặc YYYY.",
                           code="invalid_period", field=field)
    y = int(match["year"])
    if match["month"]:
        return month(y, int(match["month"]))
    if match["quarter"]:
        return quarter(y, int(match["quarter"]))
    return year(y)


def statement_id(account_id: str, period: Period) -> str:
    """Deterministic per account and period, so issuing twice finds the first statement."""
    return str(uuid.uuid5(_NAMESPACE, f"{account_id}#{period.key}"))


# --- figures -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Entry:
    """One balance change of an account, as the ledger recorded it from `balance.changed`."""
    at: str             # UTC ISO, when it was posted
    version: int        # the account's version after the change
    delta: int
    balance: int        # after the change
    previous_balance: int
    dossier_id: str | None


def ledger_gap(entries: Iterable[Entry], before: Entry | None, *, balance: int,
               updated_at: str | None, since: str) -> str | None:
    """Why the ledger cannot be trusted yet for the account since `since`, or None.

    `entries` are those posted at or after `since`, `before` the last one before it. In version
    order, each must start from the balance the previous one left, and the last must reach the
    account's balance as it is now: a change not yet recorded (the event still on its way) shows
    as a gap. (Versions only order the changes: the account's version also moves without a
    balance change, when a payment reserves its amount or the account is closed.)"""
    chain = sorted(entries, key=lambda e: e.version)
    if updated_at is not None and updated_at >= since:
        if not chain or chain[-1].at != updated_at or chain[-1].balance != balance:
            return "the latest balance change is not in the ledger yet"
    elif chain:
        return "the ledger has changes the account does not show"
    previous = before
    for entry in chain:
        if previous is not None and (entry.version <= previous.version
                                     or entry.previous_balance != previous.balance):
            return f"a balance change before version {entry.version} is missing"
        if entry.balance - entry.previous_balance != entry.delta:
            return f"version {entry.version} does not add up"
        previous = entry
    return None


@dataclass(frozen=True)
class Figures:
    opening: int
    debits: int
    credits: int
    closing: int
    lines: list[dict]
    line_count: int


def figures(entries: Iterable[Entry], balance: int, period: Period) -> Figures:
    """The period's figures from the ledger and the account's balance now: the closing balance is
    the balance now minus the net of what was posted after the period; the opening balance is the
    closing balance minus the net of the period. `entries` are those posted since the period
    began (checked by `ledger_gap`)."""
    start, end = period.bounds()
    ordered = sorted(entries, key=lambda e: (e.at, e.version))
    during = [e for e in ordered if start <= e.at < end]
    after = sum(e.delta for e in ordered if e.at >= end)
    closing = balance - after
    debits = sum(-e.delta for e in during if e.delta < 0)
    credits = sum(e.delta for e in during if e.delta > 0)
    lines = [{"posted_at": e.at, "dossier_id": e.dossier_id,
              "debit": -e.delta if e.delta < 0 else 0, "credit": e.delta if e.delta > 0 else 0,
              "balance": e.balance} for e in during[:MAX_LINES]]
    return Figures(closing - credits + debits, debits, credits, closing, lines, len(during))


# --- the unit's reply and the office's resolution ------------------------------------------------
@dataclass(frozen=True)
class Reply:
    answer: str
    status: str
    details: str | None
    book_balance: int | None


def parse_reply(cmd: Submit, statement_id: str) -> tuple[dict, Reply]:
    """The signed content of a reply: which statement, "matches" or "disputes" (with details)."""
    content = cmd.content
    if not isinstance(content, dict):
        raise InvalidField("Thiếu nội dung trả lời.", code="required", field="content")
    if content.get("statement_id") != statement_id:
        raise InvalidField("Nội dung ký không phải của bảng đối chiếu này.",
                           code="statement_mismatch", field="content.statement_id")
    answer = content.get("answer")
    if answer not in ANSWERS:
        raise InvalidField("Trả lời phải là matches hoặc disputes.", code="invalid_choice",
                           field="content.answer")
    details = content.get("details")
    if details is not None and (not isinstance(details, str) or len(details) > MAX_DETAILS):
        raise InvalidField("Nội dung chênh lệch tối đa 2000 ký tự.", code="details_required",
                           field="content.details")
    if answer == "disputes" and not (details or "").strip():
        raise InvalidField("Cần nêu rõ nội dung chênh lệch (tối đa 2000 ký tự).",
                           code="details_required", field="content.details")
    book = content.get("book_balance")
    if book is not None and (isinstance(book, bool) or not isinstance(book, int)
                             or not 0 <= book < 10**15):
        raise InvalidField("Số dư phải là số nguyên đồng, không âm.", code="invalid_amount",
                           field="content.book_balance")
    return content, Reply(answer, ANSWERS[answer], details.strip() if details else None, book)


@dataclass(frozen=True)
class Resolution:
    outcome: str
    reason: str


def parse_resolution(cmd: Resolve) -> Resolution:
    outcome, reason = cmd.outcome, cmd.reason
    if outcome not in OUTCOMES:
        raise InvalidField("Kết quả phải là upheld hoặc corrected.", code="invalid_choice",
                           field="outcome")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_REASON:
        raise InvalidField("Cần lý do giải quyết (tối đa 1000 ký tự).", code="reason_required",
                           field="reason")
    return Resolution(outcome, reason.strip())


def resolution_payload(statement_id: str, outcome: str, reason: str) -> dict:
    """What an officer with a registered certificate signs when resolving a dispute."""
    return {"purpose": RESOLUTION_PURPOSE, "statement_id": statement_id, "outcome": outcome,
            "reason": reason}


def rate(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, 4)
