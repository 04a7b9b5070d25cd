"""The results as documents people keep: print-ready HTML (A4, Vietnamese) of a dossier's receipt
notice, its debit (or credit) advice, its refusal notice (Mẫu 33), its confirmed form, and a
reconciliation's or closing's forms (Mẫu 26-32 confirmed or returned, Mẫu 25), each with the
treasury's header, the dossier code and a QR code of that code.

One table, `KINDS`: a document kind is its title, which dossiers have it and how its fields are
built from the dossier; its body is a template under `chalicelib/templates/print/<template>.html`
(string.Template, like the e-mails in notices.py) set inside `_page.html`. Every value is
HTML-escaped when it is put in (values come from users); only the tables this module builds
itself, from escaped values, go in as markup.

Input is a plain view of the dossier (its summary as the API shows it, with the result, the
content the unit signed and the unit's and office's names); nothing here reads a table. The
document's date is the result's own instant, so a document downloaded twice is the same document.
Pure but for `segno` (pure Python), imported when a QR code is drawn.
"""
from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from string import Template

from . import catalogue
from . import reconciliation_forms as forms
from .calendar import local_date
from .notices import MISSING, local_when, parse_time
from .voucher import grouped, vnd

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "print"


class Markup(str):
    """HTML this module built from escaped values: put in as is."""


@dataclass(frozen=True)
class Kind:
    kind: str
    title: str                              # the document's name, as the console lists it
    has: Callable[[dict], bool]             # does this dossier have it (now)?
    # the placeholders of its template and of the page: at least `number`, `issued_on` and
    # `subtitle` (and `heading` if the page's heading is not the title)
    fields: Callable[[dict], dict]
    template: str


# --- small helpers ---------------------------------------------------------------------------

def _on(value: object) -> str:
    """'ngày 08 tháng 12 năm 2026' (Hà Nội date), as Vietnamese documents are dated."""
    parsed = parse_time(value)
    if parsed is None:
        return "ngày ... tháng ... năm ..."
    day = local_date(parsed)
    return f"ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"


def _money(value: object) -> str:
    return vnd(value) if isinstance(value, int) and not isinstance(value, bool) else MISSING


def _procedure(view: dict) -> catalogue.ProcedureVersion | None:
    try:
        return catalogue.get_version(view["procedure"], view["version"])
    except Exception:   # a version this code no longer knows still gets its document
        return None


def _common(view: dict) -> dict:
    proc = _procedure(view)
    return {"unit_name": view.get("unit_name") or view.get("unit_id") or MISSING,
            "unit_id": view.get("unit_id") or MISSING,
            "procedure_name": proc.name_vi if proc else str(view.get("procedure") or MISSING),
            "legal_basis": proc.legal_basis if proc else MISSING,
            "voucher_number": view.get("voucher_number") or MISSING,
            "amount": _money(view.get("amount")), "account_id": view.get("account_id") or MISSING}


def _result(view: dict) -> dict:
    result = view.get("result")
    return result if isinstance(result, dict) else {}


LABELS = {
    "number": "Số", "date": "Ngày", "budget_year": "Năm ngân sách", "amount": "Số tiền",
    "total": "Tổng cộng", "unit": "Đơn vị", "unit_code": "Mã ĐVQHNS", "unit_name": "Tên đơn vị",
    "name": "Tên", "chapter_code": "Mã chương", "account": "Tài khoản", "account_id": "Tài khoản",
    "basis": "Căn cứ", "estimate_year": "Năm dự toán", "annual_estimate": "Dự toán cả năm",
    "monthly_average": "Chi bình quân một tháng", "months": "Số tháng", "lines": "Chi tiết",
    "rows": "Chi tiết", "totals": "Cộng", "content": "Nội dung", "economic_code": "Mã NDKT",
    "sector_code": "Mã ngành KT", "source_code": "Mã nguồn NSNN", "reason": "Lý do",
    "confirmed": "Đã xác nhận", "confirmed_at": "Thời điểm xác nhận",
    "ledger_reference": "Số tham chiếu hạch toán (TABMIS)", "treatment_vi": "Xử lý",
    "period": "Kỳ", "opening_balance": "Số dư đầu kỳ", "closing_balance": "Số dư cuối kỳ",
    "difference": "Chênh lệch", "estimate": "Dự toán", "used": "Đã sử dụng",
    # the reconciliation forms (Mẫu 26-32) and Mẫu 25, as _form_rows and _closing_fields lay them out
    "line": "Chỉ tiêu", "column": "Cột", "unit_figure": "Số liệu của đơn vị",
    "treasury_figure": "Số liệu của Kho bạc Nhà nước", "details": "Chi tiết đề nghị",
    "reconciled_to": "Số dư xác nhận đến ngày", "confirmed_balance": "Số dư được xác nhận",
    "effective_end": "Ngày tài khoản bắt đầu hết hiệu lực", "forms": "Bảng đối chiếu kèm theo",
}
_HIDDEN = {"treatment"}   # a code beside its label (treatment_vi): shown once, in words
_NUM = ' class="num"'


def _label(key: str) -> str:
    return LABELS.get(key, key.replace("_", " ").capitalize())


def _cell(value: object, key: str = "") -> str:
    """One value as escaped text: whole numbers grouped (đồng), times local, yes/no in words."""
    if isinstance(value, bool):
        return "Có" if value else "Không"
    if isinstance(value, int):
        return html.escape(str(value) if key.endswith("year") else grouped(value))
    if value is None or value == "":
        return MISSING
    if isinstance(value, str) and key.endswith("_at"):
        return html.escape(local_when(value))
    return html.escape(str(value))


def table(value: object) -> Markup:
    """Any plain form (dicts, lists of rows, totals) as HTML tables: a dict as label/value
    lines, a list of dicts as rows with a column per key. The tables a reconciliation form
    carries print without code of their own."""
    if isinstance(value, dict):
        lines = [f"<tr><th>{html.escape(_label(k))}</th><td>{_nested(v, k)}</td></tr>"
                 for k, v in value.items() if k not in _HIDDEN]
        return Markup(f'<table class="fields">{"".join(lines)}</table>')
    if isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
        keys = list(dict.fromkeys(k for row in value for k in row if k not in _HIDDEN))
        head = "".join(f"<th>{html.escape(_label(k))}</th>" for k in keys)
        body = "".join("<tr>" + "".join(
            f"<td{_NUM if isinstance(row.get(k), int) else ''}>{_nested(row.get(k), k)}</td>"
            for k in keys) + "</tr>" for row in value)
        return Markup(f'<table class="rows"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>')
    if isinstance(value, list):
        return Markup(", ".join(_cell(v) for v in value) or MISSING)
    return Markup(_cell(value))


def _nested(value: object, key: str) -> str:
    return table(value) if isinstance(value, (dict, list)) else _cell(value, key)


# --- the kinds -------------------------------------------------------------------------------

def _receipt_fields(view: dict) -> dict:
    """347/2025 Art.3 cl.4 pt.a: the notice of receipt of a valid electronic dossier, with the
    promised result date (the one promised at receipt; an extension is said beside it)."""
    notice = view.get("receipt_notice") or {}   # domain/receipt_notice.py: the one notice
    extensions = [e for e in notice.get("extensions") or [] if isinstance(e, dict)]
    promised = notice.get("promised_result_at") or view.get("due_at")
    days = notice.get("time_limit_working_days")
    files = [d.get("name") for d in (view.get("content") or {}).get("documents") or []
             if isinstance(d, dict) and d.get("name")]
    documents = Markup("<h3>Tài liệu kèm theo</h3><ol>" + "".join(
        f"<li>{html.escape(str(name))}</li>" for name in files) + "</ol>") if files else Markup("")
    extended = Markup(f"<p>Thời hạn giải quyết đã được gia hạn đến: <strong>"
                      f"{html.escape(local_when(extensions[-1].get('to_due_at')))}</strong>.</p>"
                      ) if extensions else Markup("")
    return {"number": f"{view['dossier_id']}/TN", "issued_on": _on(view.get("received_at")),
            "subtitle": "Tiếp nhận hồ sơ và hẹn trả kết quả",
            "received": local_when(view.get("received_at")), "promised": local_when(promised),
            "time_limit": f"{days} ngày làm việc" if days else MISSING,
            "documents": documents, "extended": extended}


# The advices a posted result carries (347/2025 Art.6 cl.2 pt.i; notices.ADVICES names them).
ADVICE_TITLES = {"debit_advice": "Giấy báo Nợ", "credit_advice": "Giấy báo Có",
                 "posting_note": "Phiếu hạch toán"}


def _advice_fields(kind: str) -> Callable[[dict], dict]:
    def fields(view: dict) -> dict:
        advice = _result(view)[kind]
        parts = Markup("")
        if isinstance(advice.get("budget_payment"), dict):   # a split voucher (Mẫu 14 / 18)
            part = advice["budget_payment"]
            parts = Markup(
                "<h3>Chi tiết</h3><table class=\"fields\">"
                f"<tr><th>Nộp ngân sách nhà nước</th><td>{html.escape(_money(part.get('amount')))}"
                f" — tài khoản thu {_cell(part.get('revenue_account'))}, mã số thuế "
                f"{_cell(part.get('tax_code'))}</td></tr>"
                f"<tr><th>Chuyển cho đơn vị hưởng</th><td>"
                f"{html.escape(_money(advice.get('payee_amount')))}</td></tr></table>")
        return {"number": advice.get("number") or MISSING, "issued_on": _on(advice.get("posted_at")),
                "subtitle": "Kho bạc Nhà nước đã hạch toán theo đề nghị của đơn vị",
                "account_id": advice.get("account_id") or view.get("account_id") or MISSING,
                "amount": _money(advice.get("amount")), "posted": local_when(advice.get("posted_at")),
                "ledger_reference": advice.get("ledger_reference") or MISSING, "parts": parts}
    return fields


def _refusal_fields(view: dict) -> dict:
    """347/2025 Art.6 cl.2 pt.k (and Art.7 cl.2 pt.d for ODA): Mẫu 33, the notice of the
    result: which dossier, of what date, about what, refused for which reason, by which office.
    Who at the treasury decided is not on it (the office signs)."""
    result = _result(view)
    common = _common(view)
    subject = common["procedure_name"]
    if view.get("voucher_number"):
        subject += f", chứng từ số {view['voucher_number']}"
    if isinstance(view.get("amount"), int):
        subject += f", số tiền {_money(view['amount'])}"
    return {"number": f"{view['dossier_id']}/TB-KBNN", "issued_on": _on(result.get("decided_at")),
            "heading": "Thông báo", "subtitle": "Kết quả giải quyết thủ tục hành chính",
            "subject": subject,
            "received_on": _on(view.get("received_at")).removeprefix("ngày "),
            "reason": result.get("reason") or MISSING}


def _confirmed_fields(view: dict) -> dict:
    """347/2025 Art.6 cl.2 pt.i: the form the unit signed with the treasury's confirmation."""
    form = _result(view)["confirmed_form"]
    treasury = form.get("treasury") if isinstance(form.get("treasury"), dict) else {}
    return {"number": treasury.get("number") or MISSING,
            "issued_on": _on(treasury.get("confirmed_at")),
            "subtitle": f"{form.get('form') or ''} — có xác nhận của Kho bạc Nhà nước",
            "symbol": form.get("symbol") or MISSING, "signed": table(form.get("signed") or {}),
            "treasury": table(treasury)}


# --- the reconciliation forms (Mẫu 26-32) and Mẫu 25 ------------------------------------------

def _reconciliation(view: dict) -> dict:
    """The dossier's `reconciliation` block (services/reconciliation.view), if it has one."""
    block = view.get("reconciliation")
    return block if isinstance(block, dict) else {}


def _day(value: object) -> str:
    """'2026-11-30' as '30/11/2026'."""
    try:
        day = datetime.strptime(str(value), "%Y-%m-%d")
    except ValueError:
        return MISSING
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _period(form: dict) -> str:
    period = _dict(form.get("period"))
    return f"từ {_day(period.get('from'))} đến {_day(period.get('to'))}"


def _column(column: str) -> str:
    """A column as the forms number it: '(6)'; Mẫu 32's single column is the amount."""
    return "Số tiền" if column == "amount" else f"({column})"


def _line(form: dict, line: object, label: object = "") -> str:
    spec = forms.FORMS.get(str(form.get("form")))
    fixed = dict(spec.fixed_rows) if spec else {}
    return str(label or fixed.get(str(line)) or ("Cộng" if line == "total" else line) or MISSING)


def _form_rows(form: dict) -> list[dict]:
    """A form's lines as table rows: the line, its budget codes, its cells by column number,
    then the totals line."""
    columns = [str(c) for c in form.get("columns") or []]
    rows: list[dict] = []
    for number, row in enumerate(form.get("rows") or [], start=1):
        if not isinstance(row, dict):
            continue
        entry: dict = {"line": _line(form, row.get("line") or str(number), row.get("label"))}
        codes = _dict(row.get("codes"))
        for key, value in codes.items():
            entry.setdefault(str(key), str(value))
        cells = _dict(row.get("cells"))
        entry.update({_column(c): cells.get(c) for c in columns})
        rows.append(entry)
    totals = _dict(form.get("totals"))
    if totals:
        rows.append({"line": "Cộng", **{_column(c): totals[c] for c in columns if c in totals}})
    return rows


def _form_table(form: dict) -> Markup:
    rows = _form_rows(form)
    return table(rows) if rows else Markup(f"<p>{MISSING}</p>")


def _form_heading(form: dict) -> Markup:
    return Markup(f"<h3>Mẫu số {_cell(form.get('form'))} ({_cell(form.get('symbol'))}): "
                  f"{_cell(form.get('title'))}</h3>")


def _reconciled_fields(view: dict) -> dict:
    """347/2025 Art.10 cl.2 pt.c, 347/2025 Art.10 cl.8 pt.a: the figures match, so the treasury confirms the
    account's balance on the form the unit sent (the form as sent, its confirmation and date)."""
    form = _reconciliation(view)["confirmed_form"]
    at = form.get("confirmed_at")
    confirmation = Markup(
        '<p data-field="verdict">Số liệu của đơn vị <strong>khớp đúng</strong> với số liệu của '
        "Kho bạc Nhà nước; Kho bạc Nhà nước xác nhận số dư tài khoản của đơn vị trên bảng đối "
        f"chiếu này.</p><p>Thời điểm xác nhận: <strong data-field=\"confirmed_at\">"
        f"{html.escape(local_when(at))}</strong>.</p>")
    return {"number": f"{view['dossier_id']}/XNSD", "issued_on": _on(at),
            "subtitle": f"Mẫu số {form.get('form') or ''} — Kho bạc Nhà nước xác nhận khớp đúng",
            "symbol": form.get("symbol") or MISSING, "account_id": form.get("account_id") or
            MISSING, "period_label": "Kỳ đối chiếu", "period": _period(form),
            "form": _form_table(form), "confirmation": confirmation}


def _differences(form: dict, found: list) -> Markup:
    rows = [{"line": _line(form, d.get("line")), "column": _column(str(d.get("column") or "amount")),
             "unit_figure": d.get("unit"), "treasury_figure": d.get("treasury"),
             "difference": d.get("difference")} for d in found if isinstance(d, dict)]
    return table(rows) if rows else Markup(f"<p>{MISSING}</p>")


def _mismatch_fields(view: dict) -> dict:
    """347/2025 Art.10 cl.2 pt.c, cl.8 pt.b: the figures do not match, so the treasury returns
    the unit's form confirming the mismatch, with the differences line by line; the unit
    reconciles again within 1 working day of receiving it (the due time, as the step's task
    holds it). Whether it is overdue is not printed: the page stays the same whenever fetched."""
    block = _reconciliation(view)
    form = _dict(block.get("unit_form"))
    treasury = block.get("treasury_form")
    returned = block["re_reconciliation"]
    reason = returned.get("reason")
    theirs = Markup(_form_heading(treasury).replace("<h3>", "<h3>Số liệu của Kho bạc Nhà nước — ")
                    + _form_table(treasury)) if isinstance(treasury, dict) else Markup("")
    confirmation = Markup(
        '<p data-field="verdict">Số liệu của đơn vị <strong>không khớp đúng</strong> với số liệu '
        "của Kho bạc Nhà nước. Chênh lệch từng chỉ tiêu (số liệu của đơn vị trừ số liệu của Kho "
        "bạc Nhà nước):</p>" + _differences(form, block.get("differences") or [])
        + (f'<p>Ghi chú của Kho bạc Nhà nước: <span data-field="reason">{_cell(reason)}</span></p>'
           if reason else "")
        + "<p>Đơn vị tiếp tục đối chiếu, xác nhận số dư tài khoản tại Kho bạc Nhà nước nơi mở tài "
        "khoản chậm nhất 01 ngày làm việc kể từ khi nhận được xác nhận này, tức là trước: "
        f"<strong data-field=\"due_at\">{html.escape(local_when(returned.get('due_at')))}</strong>.</p>")
    return {"number": f"{view['dossier_id']}/XNSD-KK", "issued_on": _on(returned.get("returned_at")),
            "subtitle": f"Mẫu số {form.get('form') or ''} — Kho bạc Nhà nước xác nhận không khớp "
                        "đúng", "symbol": form.get("symbol") or MISSING,
            "account_id": form.get("account_id") or MISSING, "period_label": "Kỳ đối chiếu",
            "period": _period(form), "form": Markup(_form_table(form) + theirs),
            "confirmation": confirmation}


def _closing_fields(view: dict) -> dict:
    """347/2025 Art.9 cl.2 pt.c, cl.8: Mẫu 25 with the treasury's confirmation — the balance as at
    the reconciliation date, the day the account stops being valid — and the reconciliation
    forms it came with (Art.9 cl.3 pt.b-d), each as the unit sent it."""
    result = _result(view)
    mau_25 = result["confirmed_form"]
    balance = mau_25.get("confirmed_balance")
    request = {"account_id": mau_25.get("account_id"), "reason": mau_25.get("reason"),
               "details": mau_25.get("details"), "reconciled_to": _day(mau_25.get("reconciled_to")),
               "confirmed_balance": _money(balance), "effective_end": _day(mau_25.get("effective_end")),
               "forms": ", ".join(f"Mẫu số {n}" for n in mau_25.get("forms") or []) or MISSING}
    attached = [f for f in view.get("closing_forms") or [] if isinstance(f, dict)]
    form = Markup(table(request) + ("<h3>Bảng đối chiếu kèm theo</h3>" if attached else "")
                  + "".join(_form_heading(f) + _form_table(f) for f in attached))
    confirmation = Markup(
        '<p data-field="verdict">Kho bạc Nhà nước đã đối chiếu số liệu, <strong>xác nhận số dư '
        f"tài khoản</strong> đến ngày {html.escape(_day(mau_25.get('reconciled_to')))} là "
        f"<strong data-field=\"confirmed_balance\">{html.escape(_money(balance))}</strong> và "
        "tất toán tài khoản; tài khoản hết hiệu lực từ ngày "
        f"<strong data-field=\"effective_end\">{html.escape(_day(mau_25.get('effective_end')))}"
        "</strong>.</p>")
    return {"number": f"{view['dossier_id']}/TTTK", "issued_on": _on(result.get("closed_at")),
            "subtitle": "Mẫu số 25 — có xác nhận của Kho bạc Nhà nước",
            "symbol": mau_25.get("symbol") or MISSING,
            "account_id": mau_25.get("account_id") or MISSING,
            "period_label": "Đối chiếu số dư đến ngày", "period": _day(mau_25.get("reconciled_to")),
            "form": form, "confirmation": confirmation}


def _is_mau_25(view: dict) -> bool:
    form = _result(view).get("confirmed_form")
    return isinstance(form, dict) and str(form.get("form")) == "25"


def _has_advice(kind: str) -> Callable[[dict], bool]:
    return lambda view: isinstance(_result(view).get(kind), dict)


KINDS: dict[str, Kind] = {k.kind: k for k in (
    Kind("receipt_notice", "Thông báo tiếp nhận hồ sơ",
         lambda view: bool(view.get("received_at")), _receipt_fields, "receipt_notice"),
    *(Kind(kind, title, _has_advice(kind), _advice_fields(kind), "advice")
      for kind, title in ADVICE_TITLES.items()),
    Kind("refusal_notice", "Thông báo kết quả giải quyết thủ tục hành chính",
         lambda view: view.get("status") == catalogue.REFUSED, _refusal_fields, "refusal_notice"),
    Kind("confirmed_form", "Mẫu có xác nhận của Kho bạc Nhà nước",
         lambda view: isinstance(_result(view).get("confirmed_form"), dict) and not _is_mau_25(view),
         _confirmed_fields, "confirmed_form"),
    Kind("reconciliation_form", "Bảng đối chiếu có xác nhận khớp đúng của Kho bạc Nhà nước",
         lambda view: isinstance(_reconciliation(view).get("confirmed_form"), dict),
         _reconciled_fields, "reconciliation_form"),
    Kind("reconciliation_mismatch", "Bảng đối chiếu có xác nhận không khớp đúng của Kho bạc Nhà nước",
         lambda view: isinstance(_reconciliation(view).get("re_reconciliation"), dict),
         _mismatch_fields, "reconciliation_form"),
    Kind("closing_form", "Giấy đề nghị tất toán tài khoản có xác nhận của Kho bạc Nhà nước",
         _is_mau_25, _closing_fields, "reconciliation_form"),
)}


def title_of(kind: Kind, view: dict) -> str:
    """The kind's title, or a confirmed form's own name (Giấy đề nghị tạm cấp dự toán...)."""
    if kind.kind == "confirmed_form":
        return str(_result(view)["confirmed_form"].get("name_vi") or kind.title)
    if kind.kind == "closing_form":
        return str(_result(view)["confirmed_form"].get("title") or kind.title)
    if kind.kind in ("reconciliation_form", "reconciliation_mismatch"):
        block = _reconciliation(view)
        form = block.get("confirmed_form") or block.get("unit_form") or {}
        return str(form.get("title") or kind.title)
    return kind.title


def available(view: dict) -> list[dict]:
    """The documents this dossier has now: kind and title, in the table's order."""
    return [{"kind": k.kind, "title": title_of(k, view)} for k in KINDS.values() if k.has(view)]


# --- rendering -------------------------------------------------------------------------------

@cache
def _template(name: str) -> Template:
    return Template((TEMPLATES / f"{name}.html").read_text(encoding="utf-8"))


def _escaped(values: dict) -> dict:
    return {k: v if isinstance(v, Markup) else html.escape(str(v)) for k, v in values.items()}


def qr_svg(text: str) -> Markup:
    """The QR code of `text` as inline SVG (Mẫu 33's "Mã QR code"): what a phone reads is the
    dossier code itself; the product has no public lookup page a URL could point to."""
    import segno  # only the document route draws one: a cold start elsewhere never loads it
    code = segno.make(text, error="m")
    return Markup(code.svg_inline(scale=4, border=2, omitsize=True, title=f"Mã số hồ sơ {text}"))


def render(kind: Kind, view: dict) -> str:
    """The kind's document for this dossier (the caller checked `kind.has(view)`). A placeholder
    a template names but nobody fills is an error (KeyError), not a '$x' on paper."""
    values = {**_common(view), "office_name": view.get("office_name") or MISSING,
              "dossier_code": view["dossier_id"], **kind.fields(view)}
    body = _template(kind.template).substitute(_escaped(values))
    title = title_of(kind, view)
    page = {"heading": title, **values, "kind": kind.kind, "title": title,
            "qr": qr_svg(view["dossier_id"]), "body": Markup(body),
            "legal_note": "Nghị định số 347/2025/NĐ-CP"}
    return _template("_page").substitute(_escaped(page))
