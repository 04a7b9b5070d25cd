"""The forms a return of funds (Mẫu 08) and an adjustment of budget figures (Mẫu 09) carry beside
their voucher, checked against the unit's own records, and the confirmed copies the unit gets
back (Decree 347/2025 Art. 6 cl. 2 pt. g, h, i; 347/2025 Art.6 cl.3 pt.đ and pt. e).

A `refund` voucher may carry `content.return_form` and an `adjustment` voucher
`content.adjustment_form`; a client that sends neither gets what it got before (the voucher
alone, a credit advice or a posting note). With the form, the rules of the form apply and the
dossier's result carries the confirmed form (`result.confirmed_form`).
"""
from __future__ import annotations

from datetime import datetime

from ..adapters.models import Dossier, DossierBody
from ..adapters.repository import Repository
from ..domain import budget_forms, catalogue
from ..domain.calendar import local_date
from ..domain.errors import InvalidField
from ..domain.voucher import Voucher

FORMS = {"refund": "return_form", "adjustment": "adjustment_form"}


def check(content: dict, voucher: Voucher, unit_id: str, repo: Repository, now: datetime) -> None:
    """At submission: the form, if any, is the voucher kind's own and follows its rules."""
    for kind, key in FORMS.items():
        if content.get(key) is not None and voucher.payment_kind != kind:
            raise InvalidField(f"Chỉ chứng từ loại {kind} kèm {key}.", code="form_not_expected",
                               field=f"content.{key}")
    if voucher.payment_kind == "refund" and content.get("return_form") is not None:
        form = budget_forms.parse_return_form(content["return_form"], voucher_total=voucher.total)
        budget_forms.return_treatment(form, local_date(now))   # refuses a form mixing both
    if voucher.payment_kind == "adjustment" and content.get("adjustment_form") is not None:
        adjustment = budget_forms.parse_adjustment_form(content["adjustment_form"])
        paid = repo.dossier(voucher.related_dossier) if voucher.related_dossier else None
        if paid is None or paid.unit_id != unit_id:
            return   # related.problem names the related dossier's fault first
        lines = (repo.body(paid).content.get("voucher") or {}).get("lines") or []
        budget_forms.check_adjustment(adjustment, voucher_total=voucher.total, paid_lines=lines)


def balance_effect(content: dict, voucher: Voucher, now: datetime) -> int:
    """What posting does to the account: the voucher kind's effect, except that a return of
    funds whose year is settled is collected to the budget, not credited back (347/2025 Art.6
    cl.2 pt.g)."""
    if voucher.payment_kind == "refund" and content.get("return_form") is not None:
        form = budget_forms.parse_return_form(content["return_form"], voucher_total=voucher.total)
        return budget_forms.return_balance_effect(
            budget_forms.return_treatment(form, local_date(now)))
    return voucher.kind.balance_effect


def with_confirmed_form(dossier: Dossier, body: DossierBody, result: dict | None) -> dict | None:
    """The dossier's result with the confirmed Mẫu 08 / Mẫu 09 once posting has booked it
    (347/2025 Art.6 cl.2 pt.i): the signed form and the treasury's confirmation (the advice's
    number, when TABMIS booked it, its reference)."""
    if not result or dossier.status not in (catalogue.PAID, catalogue.RECORDED) \
            or "confirmed_form" in result:
        return result
    content = body.content or {}
    if dossier.payment_kind == "refund" and content.get("return_form") is not None:
        advice = result.get("credit_advice")
        treatment = budget_forms.REDUCE_SPENDING if advice else budget_forms.BUDGET_REVENUE
        advice = advice or result.get("posting_note") or {}
        return {**result, "confirmed_form": budget_forms.confirmed_form(
            "08", content["return_form"], confirmation=advice, treatment=treatment)}
    if dossier.payment_kind == "adjustment" and content.get("adjustment_form") is not None:
        return {**result, "confirmed_form": budget_forms.confirmed_form(
            "09", content["adjustment_form"], confirmation=result.get("posting_note") or {})}
    return result
