"""What people are told, in Vietnamese: the e-mails of results to a unit, and the risk-warning
texts for its signers' phones and mailboxes.

E-mails are rendered from plain-text templates kept as files (`chalicelib/templates/email/
<event>.txt`: a `Subject:` line, a blank line, the body; `$name` placeholders, string.Template),
so the wording can be reviewed and changed without touching code. Everything in them comes from
the event and from what the unit itself registered or submitted (its name, the dossier's code,
voucher, amount, account, the office's reason); never who at the treasury decided.

Pure: stdlib only, reading its own template files.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from string import Template

from . import catalogue
from .extension import cause_text
from .risk import RULES, Flag, local_text
from .voucher import vnd

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "email"
# The results a unit is e-mailed about: one template each.
EMAIL_EVENTS = ("dossier.accepted", "dossier.supplement_requested", "dossier.refused",
                "payment.posted", "dossier.recorded", "dossier.registered", "dossier.closed",
                "dossier.reconciled", "dossier.not_reconciled", "payment.line_returned",
                # 347/2025 Art.3 cl.4 pt.a: the notice of receipt with the promised result date,
                # on receipt and on receipt of the supplemented dossier (the limit restarts)
                "dossier.submitted", "dossier.resubmitted",
                # 347/2025 Art.3 cl.6: the final deadline of an extended dossier, to the unit
                "dossier.deadline_extended")
MISSING = "—"

STATUS_VI = {
    catalogue.UNDER_REVIEW: "Đang kiểm soát",
    catalogue.AWAITING_SUPPLEMENT: "Chờ đơn vị bổ sung",
    catalogue.AWAITING_APPROVAL: "Chờ lãnh đạo phê duyệt",
    catalogue.POSTING: "Đang hạch toán",
    catalogue.ACTIVATING: "Đang thực hiện",
    catalogue.PAID: "Đã thanh toán",
    catalogue.REFUSED: "Bị từ chối",
    catalogue.RECORDED: "Đã hạch toán",
    catalogue.REGISTERED: "Đã có hiệu lực",
    catalogue.CLOSED: "Đã tất toán",
    catalogue.RECONCILED: "Số dư khớp đúng",
    catalogue.NOT_RECONCILED: "Số dư không khớp",
}
# What happened, as the end of a sentence "Hồ sơ <code> ...".
EVENT_VI = {
    "dossier.submitted": "đã được gửi đến Kho bạc Nhà nước",
    "dossier.supplement_requested": "được yêu cầu bổ sung",
    "dossier.resubmitted": "đã được gửi bổ sung",
    "dossier.accepted": "đã được cán bộ kiểm soát chấp nhận",
    "dossier.sent_back": "được lãnh đạo trả lại cán bộ kiểm soát",
    "dossier.approved": "đã được lãnh đạo phê duyệt",
    "dossier.overdue": "đã quá hạn giải quyết",
    "dossier.deadline_extended": "được gia hạn thời hạn giải quyết",
    "payment.posted": "đã được thanh toán",
    "dossier.recorded": "đã được hạch toán",
    "dossier.refused": "bị từ chối",
    "dossier.registered": "đã có hiệu lực",
    "dossier.closed": "đã được tất toán",
    "dossier.reconciled": "được xác nhận số dư khớp đúng",
    "dossier.not_reconciled": "được xác nhận số dư không khớp",
    "payment.line_returned": "có một dòng chi trả bị ngân hàng trả lại",
}
# The results a unit is sent: the debit advice of a payment (347/2025 Art.6 cl.2 pt.i); a
# refusal is the result notice, Mẫu 33, with its reasons (347/2025 Art.6 cl.2 pt.k and, for ODA,
# 347/2025 Art.7 cl.2 pt.d); a request to supplement says what to add (347/2025 Art.3 cl.4 pt.a).
ADVICES = {"debit_advice": "Giấy báo Nợ", "credit_advice": "Giấy báo Có",
           "posting_note": "Phiếu hạch toán",
           # 347/2025 Art.6 cl.2 pt.i: a temporary allocation's result is its confirmed Mẫu 22
           "temporary_allocation": "Giấy đề nghị tạm cấp dự toán ngân sách có xác nhận"}
_SMS_CHARS = 300     # SMS costs per segment: the text for phones is the short one


@dataclass(frozen=True)
class Email:
    subject: str
    body: str


@dataclass(frozen=True)
class Alert:
    """One risk warning: a subject (e-mail subscribers), the full text and the SMS text."""
    subject: str
    text: str
    sms: str


def parse_time(value: object) -> datetime | None:
    """An aware instant from an ISO-8601 string, or None for anything else."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def local_when(value: object) -> str:
    """An instant as people in Vietnam read it, or a dash."""
    parsed = parse_time(value)
    return local_text(parsed) if parsed else MISSING


def _procedure_name(event: dict) -> str:
    try:
        return catalogue.get_version(event["procedure"], event["procedure_version"]).name_vi
    except Exception:   # a version this code no longer knows still gets its e-mail
        return str(event.get("procedure") or MISSING)


def _advice(event: dict) -> tuple[str, dict]:
    result = event.get("result") or {}
    for kind, title in ADVICES.items():
        if isinstance(result.get(kind), dict):
            return title, result[kind]
    return MISSING, {}


def email_values(event: dict, *, unit_name: str, office_name: str, reason: str | None = None,
                 extension: dict | None = None) -> dict:
    """The placeholders every e-mail template may use. `extension`: an extended dossier's
    extension as audited (cause, from_due_at, to_due_at), for the final-deadline notice."""
    advice_title, advice = _advice(event)
    extension = extension or {}
    amount = event.get("amount")
    return {
        "unit_name": unit_name, "unit_id": event.get("unit_id") or MISSING,
        "office_name": office_name, "office_id": event.get("office_id") or MISSING,
        "dossier_code": event.get("dossier_code") or event.get("dossier_id") or MISSING,
        "procedure_name": _procedure_name(event),
        "voucher_number": event.get("voucher_number") or MISSING,
        "amount": vnd(amount) if isinstance(amount, int) else MISSING,
        "account_id": event.get("account_id") or MISSING,
        "status_label": STATUS_VI.get(event.get("status") or "", event.get("status") or MISSING),
        "occurred": local_when(event.get("occurred_at")),
        "due": local_when(event.get("due_at")),
        "reason": reason or event.get("reason") or MISSING,
        "advice_title": advice_title,
        "advice_number": advice.get("number") or MISSING,
        "advice_amount": vnd(advice["amount"]) if isinstance(advice.get("amount"), int) else MISSING,
        "posted": local_when(advice.get("posted_at")),
        **_returned_values(event.get("returned_line")),
        "cause": cause_text(extension["cause"]) if extension.get("cause") else MISSING,
        "previous_due": local_when(extension.get("from_due_at")),
    }


def _returned_values(returned: object) -> dict:
    """A returned payroll line (payment.line_returned): its number, amount and when it was
    credited back."""
    returned = returned if isinstance(returned, dict) else {}
    amount = returned.get("amount")
    return {"returned_line": str(returned.get("line") or MISSING),
            "returned_amount": vnd(amount) if isinstance(amount, int) else MISSING,
            "credited": local_when(returned.get("credited_at"))}


@cache
def _template(name: str) -> tuple[Template, Template]:
    text = (TEMPLATES / f"{name}.txt").read_text(encoding="utf-8")
    head, sep, body = text.partition("\n\n")
    if not sep or not head.startswith("Subject: ") or "\n" in head:
        raise ValueError(f"template {name}: a 'Subject:' line, a blank line, then the body")
    return Template(head.removeprefix("Subject: ")), Template(body)


@cache
def _footer() -> Template:
    """What ends every e-mail (`_footer.txt`, a body only)."""
    return Template((TEMPLATES / "_footer.txt").read_text(encoding="utf-8"))


def render_email(event: dict, *, unit_name: str, office_name: str,
                 reason: str | None = None, extension: dict | None = None) -> Email:
    """The e-mail of one result event. A placeholder a template names but nobody fills is an
    error (KeyError), not a silent '$x' in a letter to a unit."""
    values = email_values(event, unit_name=unit_name, office_name=office_name, reason=reason,
                          extension=extension)
    footer = _footer().substitute(values)
    subject, body = _template(event["event"])
    return Email(subject.substitute(values), body.substitute(values, footer=footer.rstrip("\n")))


# --- risk warnings -----------------------------------------------------------------------------
_CALL_US = "Nếu đơn vị không thực hiện giao dịch này, hãy liên hệ ngay Kho bạc Nhà nước."


def _short(text: str) -> str:
    return text if len(text) <= _SMS_CHARS else text[:_SMS_CHARS - 1] + "…"


def status_alert(event: dict) -> Alert:
    """A dossier's status changed: what, which dossier, how much, when."""
    code = event.get("dossier_code") or event.get("dossier_id")
    what = EVENT_VI.get(event["event"], event["event"])
    label = STATUS_VI.get(event.get("status") or "", event.get("status") or "")
    amount = event.get("amount")
    parts = [_procedure_name(event)]
    if event.get("voucher_number"):
        parts.append(f"chứng từ {event['voucher_number']}")
    if isinstance(amount, int):
        parts.append(vnd(amount))
    if event.get("account_id"):
        parts.append(f"tài khoản {event['account_id']}")
    when = local_when(event.get("occurred_at"))
    text = (f"Cảnh báo KBNN — đơn vị {event.get('unit_id')}: hồ sơ {code} ({', '.join(parts)}) "
            f"{what} lúc {when}; trạng thái: {label}.")
    if event["event"] == "dossier.deadline_extended":   # the final deadline: 347/2025 Art.3 cl.6
        text += f" Hạn mới: {local_when(event.get('due_at'))}."
    if event.get("reason"):
        text += f" Lý do: {event['reason']}"
    money = f" {vnd(amount)}" if isinstance(amount, int) else ""
    sms = f"KBNN: HS {code}{money} {what} {when}. {_CALL_US}"
    return Alert(f"KBNN: hồ sơ {code} — {label}"[:100], f"{text}\n{_CALL_US}", _short(sms))


def balance_alert(event: dict) -> Alert:
    """An account's balance moved."""
    delta, balance = int(event.get("delta") or 0), event.get("balance")
    change = ("+" if delta > 0 else "") + vnd(delta)
    when = local_when(event.get("occurred_at"))
    dossier = f" (hồ sơ {event['dossier_id']})" if event.get("dossier_id") else ""
    remaining = vnd(balance) if isinstance(balance, int) else MISSING
    text = (f"Cảnh báo KBNN — đơn vị {event.get('unit_id')}: tài khoản {event.get('account_id')} "
            f"biến động {change} lúc {when}{dossier}; số dư: {remaining}.")
    sms = f"KBNN: TK {event.get('account_id')} {change} lúc {when}, số dư {remaining}{dossier}."
    return Alert(f"KBNN: tài khoản {event.get('account_id')} biến động {change}"[:100],
                 f"{text}\n{_CALL_US}", _short(sms))


def flag_alert(flag: Flag, event: dict) -> Alert:
    """An anomaly flagged at submission: the rule and why."""
    code = event.get("dossier_code") or event.get("dossier_id")
    title = RULES.get(flag.rule, flag.rule)
    text = (f"Cảnh báo rủi ro KBNN — đơn vị {event.get('unit_id')}, hồ sơ {code}: {title}. "
            f"{flag.message}")
    return Alert(f"KBNN cảnh báo rủi ro: {title} — hồ sơ {code}"[:100],
                 f"{text}\n{_CALL_US}", _short(f"KBNN cảnh báo rủi ro: HS {code}: {flag.message}"))
