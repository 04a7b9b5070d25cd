"""Risk warnings (cảnh báo rủi ro): the anomaly rules a payment submission is checked against.

Handing a certificate or a password to someone else is how public money has been stolen from
units; the people who sign (the account holder, the chief accountant) and the treasury office are
the ones who can notice a payment nobody at the unit meant to make. These rules block nothing:
each one that fires becomes a flag saying which rule, why (a Vietnamese sentence) and the facts
it compared (data), sent to the unit's signers and to its office. The numbers below are the whole
definition of "unusual"; they are constants so the tests and docs/notifications.md quote them.

Pure: the facts (recent paid amounts, whether the payee is known, the certificates' registration
times, the burst count) are gathered by the service and passed in.
"""
from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from .calendar import VN_TZ, WorkingCalendar, to_utc_iso
from .voucher import vnd

AMOUNT_FACTOR = 3          # "far above": more than 3 × the median of the unit's recent payments
AMOUNT_SAMPLE = 20         # the unit's last 20 paid amounts are kept
AMOUNT_MIN_SAMPLE = 5      # fewer than 5 paid: no usual range yet, so no amount flag
NEW_CERTIFICATE = timedelta(hours=24)
BURST_WINDOW = timedelta(minutes=10)   # fixed windows: 10:00-10:10, 10:10-10:20, ... (UTC)
BURST_LIMIT = 10                       # more than 10 submissions in one window

AMOUNT = "amount_above_usual"
NEW_PAYEE = "new_payee"
OUTSIDE_HOURS = "outside_working_hours"
FRESH_CERTIFICATE = "new_certificate"
BURST = "burst"
# Not a submission rule: raised by the yearly sweep of open advances (services/advances.py,
# 347/2025 Art.6 cl.2 pt.e last para), listed and published like the others.
ADVANCE_OPEN = "advance_open_after_adjustment_period"
# Each rule's short name for people (subjects of alerts); the order is the order flags are listed.
RULES: dict[str, str] = {
    AMOUNT: "Số tiền cao bất thường",
    NEW_PAYEE: "Người nhận lần đầu được thanh toán",
    OUTSIDE_HOURS: "Gửi ngoài giờ làm việc",
    FRESH_CERTIFICATE: "Chứng thư số mới đăng ký",
    BURST: "Gửi dồn dập nhiều hồ sơ",
    ADVANCE_OPEN: "Tạm ứng chưa thanh toán khi hết thời gian chỉnh lý quyết toán",
}
_TITLE_VI = {"chief_accountant": "kế toán trưởng", "account_holder": "chủ tài khoản"}


@dataclass(frozen=True)
class Flag:
    rule: str
    message: str                       # why, for people (Vietnamese)
    facts: dict = field(default_factory=dict)   # what the rule compared, as data


def local_text(at: datetime) -> str:
    return at.astimezone(VN_TZ).strftime("%H:%M ngày %d/%m/%Y")


# --- the rules -------------------------------------------------------------------------------
def amount_flag(amount: int, recent: Sequence[int]) -> Flag | None:
    """Far above the unit's usual range: more than AMOUNT_FACTOR × the median of its last
    AMOUNT_SAMPLE paid amounts, once it has at least AMOUNT_MIN_SAMPLE of them. The lower median
    is a paid amount itself, so the threshold stays whole đồng."""
    sample = list(recent)[-AMOUNT_SAMPLE:]
    if len(sample) < AMOUNT_MIN_SAMPLE:
        return None
    median = statistics.median_low(sample)
    threshold = AMOUNT_FACTOR * median
    if amount <= threshold:
        return None
    return Flag(AMOUNT, f"Số tiền {vnd(amount)} lớn hơn {AMOUNT_FACTOR} lần trung vị "
                        f"({vnd(median)}) của {len(sample)} khoản đơn vị đã được thanh toán gần nhất.",
                {"amount": amount, "median": median, "factor": AMOUNT_FACTOR,
                 "threshold": threshold, "sample_size": len(sample)})


def payee_key(payee: object) -> str | None:
    """Who is paid, as the unit's statistics remember it: the account number (a transfer), or
    the name for cash, normalised so spacing and case do not make a payee new."""
    if not isinstance(payee, dict):
        return None
    account = payee.get("account")
    if isinstance(account, str) and account.strip():
        return "account:" + "".join(account.split())
    name = payee.get("name")
    if isinstance(name, str) and name.strip():
        return "name:" + " ".join(name.casefold().split())
    return None


def payee_flag(payee: dict, known: bool) -> Flag | None:
    """A payee the unit has never been paid to (by a posted payment) before."""
    if known or payee_key(payee) is None:
        return None
    account = payee.get("account")
    who = f"tài khoản {account}" if account else "người nhận tiền mặt"
    name = payee.get("name") or ""
    return Flag(NEW_PAYEE, f"Đơn vị chưa từng thanh toán cho {who} ({name}).",
                {"payee_name": name or None, "payee_account": account or None,
                 "payee_bank": payee.get("bank")})


def hours_flag(at: datetime, calendar: WorkingCalendar) -> Flag | None:
    """Sent outside the office's working hours (its own, or 07:00–18:00 Asia/Ho_Chi_Minh:
    calendar.DEFAULT_WORKING_HOURS), or on a day it does not work (weekend, public holiday, its
    own declared day off)."""
    if calendar.is_working_time(at):
        return None
    local = at.astimezone(VN_TZ)
    working_day = calendar.is_working_day(local.date())
    start, end = (t.isoformat("minutes") for t in calendar.working_hours)
    why = "ngày nghỉ" if not working_day else f"ngoài giờ làm việc ({start}–{end})"
    return Flag(OUTSIDE_HOURS, f"Hồ sơ được gửi lúc {local_text(at)}, {why}.",
                {"local_time": local.isoformat(timespec="seconds"), "working_day": working_day,
                 "working_hours": [start, end]})


@dataclass(frozen=True)
class SigningCertificate:
    title: str
    fingerprint: str
    registered_at: datetime


def certificate_flag(at: datetime, certificates: Iterable[SigningCertificate]) -> Flag | None:
    """Signed with a certificate registered less than 24 hours before the submission: a key
    added just before use is how a stolen login becomes a payment."""
    fresh = [c for c in certificates if at - c.registered_at < NEW_CERTIFICATE]
    if not fresh:
        return None
    titles = ", ".join(_TITLE_VI.get(c.title, c.title) for c in fresh)
    hours = min((at - c.registered_at) / timedelta(hours=1) for c in fresh)
    return Flag(FRESH_CERTIFICATE,
                f"Hồ sơ được ký bằng chứng thư số của {titles} đăng ký chưa đến 24 giờ "
                f"(sau {max(hours, 0):.1f} giờ).",
                {"certificates": [{"title": c.title, "fingerprint": c.fingerprint,
                                   "registered_at": to_utc_iso(c.registered_at),
                                   "age_hours": round((at - c.registered_at) / timedelta(hours=1), 2)}
                                  for c in fresh]})


def window_of(at: datetime) -> datetime:
    """The fixed BURST_WINDOW a submission falls in (its start, UTC)."""
    utc = at.astimezone(UTC)
    minutes = utc.hour * 60 + utc.minute
    size = int(BURST_WINDOW.total_seconds() // 60)
    return utc.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(
        minutes=minutes - minutes % size)


def burst_flag(count: int, window_start: datetime) -> Flag | None:
    """More than BURST_LIMIT submissions by the unit within one BURST_WINDOW."""
    if count <= BURST_LIMIT:
        return None
    minutes = int(BURST_WINDOW.total_seconds() // 60)
    return Flag(BURST, f"Đơn vị đã gửi {count} hồ sơ trong {minutes} phút "
                       f"(từ {local_text(window_start)}), nhiều hơn {BURST_LIMIT}.",
                {"count": count, "limit": BURST_LIMIT, "window_minutes": minutes,
                 "window_start": to_utc_iso(window_start)})


@dataclass(frozen=True)
class Submission:
    """What the rules look at, gathered by the service from the dossier and the statistics."""
    at: datetime
    debits: bool                       # the voucher moves money out (payment, advance)
    amount: int
    payee: dict
    payee_known: bool
    recent_paid: Sequence[int]
    certificates: Sequence[SigningCertificate]
    burst_count: int


def evaluate(s: Submission, calendar: WorkingCalendar) -> list[Flag]:
    """Every rule that fires on this submission, in RULES order. Amount and payee rules look
    only at vouchers that move money out of the account (a payment, an advance)."""
    found = [amount_flag(s.amount, s.recent_paid) if s.debits else None,
             payee_flag(s.payee, s.payee_known) if s.debits else None,
             hours_flag(s.at, calendar),
             certificate_flag(s.at, s.certificates),
             burst_flag(s.burst_count, window_of(s.at))]
    return [f for f in found if f is not None]
