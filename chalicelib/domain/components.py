"""Which documents a dossier must carry: the catalogue's components applied to one voucher.

A one-time legal document (the year's budget-estimate approval, a contract above 50 million
đồng, a project's investment decision, a loan agreement) is identified within its unit by voucher
fields (`Component.reference`): once on file it satisfies every later dossier that names the same
reference, and is not asked for again (347/2025 Art.3 cl.8). The year's estimate approval is
sent once a year (347/2025 Art.6 cl.3 pt.a), and asked for whatever the account: spending from
other lawful revenue (a deposit account) is paid only when it is in the assigned estimate
(347/2025 Art.6 cl.2 pt.d), within the balance (domain/checks.py).
"""
from __future__ import annotations

from dataclasses import dataclass

from . import investment_dossier
from .catalogue import (
    ALWAYS,
    CONTRACT_OVER_THRESHOLD,
    CONTRACT_THRESHOLD,
    INVESTMENT_RULE,
    Component,
    ProcedureVersion,
)
from .voucher import Voucher

OTHER = "other"   # a document outside the procedure's list: accepted, never required


@dataclass(frozen=True)
class Need:
    component: Component
    required: bool
    reference: str | None     # one-time documents only
    why: str | None = None    # the figure that makes it required, told when it is missing


def kinds(proc: ProcedureVersion) -> tuple[str, ...]:
    return (*(c.kind for c in proc.components), OTHER)


def reference(component: Component, voucher: Voucher) -> str | None:
    values = [getattr(voucher, name) for name in component.reference]
    return "#".join(str(v) for v in values) if values and None not in values else None


def _required(component: Component, voucher: Voucher) -> tuple[bool, str | None]:
    """Whether the component is required on this voucher, and why (the figure crossed)."""
    if component.kind == "estimate_approval" and voucher.estimate_type == "temporary":
        return False, None   # paid from a temporary allocation (Mẫu 22): no approved estimate yet
    if component.required == ALWAYS:
        return True, None
    if component.required == CONTRACT_OVER_THRESHOLD:
        return voucher.contract_value is not None and voucher.contract_value > CONTRACT_THRESHOLD, None
    if component.required == INVESTMENT_RULE:
        return _investment_rule(component, voucher)
    return False, None


def _investment_rule(component: Component, voucher: Voucher) -> tuple[bool, str | None]:
    """Decree 254/2025's conditions (domain/investment_dossier.py)."""
    if component.kind == "advance_guarantee":       # 254/2025 Art.9 cl.2
        advance = voucher.advance_limit if voucher.advance_limit is not None else voucher.total
        why = investment_dossier.guarantee_required(voucher.payment_kind, voucher.investment,
                                                    advance)
        return why is not None, why
    if component.kind == "advance_recovery_request":   # 254/2025 Art.8 cl.3 pt.a (iii)
        # Mẫu 04.b/TT goes with a payment that recovers an advance, and with a recovery alone.
        return (voucher.payment_kind == "advance_settlement" or voucher.advance_recovery > 0), None
    if component.kind == "estimate_summary":        # 254/2025 Art.8 cl.1 pt.đ
        return investment_dossier.estimate_summary_required(voucher.investment), None
    return False, None


def needs(proc: ProcedureVersion, voucher: Voucher | None) -> list[Need]:
    """The components that apply to this voucher: required or not, with one-time references."""
    if voucher is None:
        return []
    found = []
    for component in proc.components:
        if component.payment_kinds and voucher.payment_kind not in component.payment_kinds:
            continue
        ref = reference(component, voucher) if component.one_time else None
        if component.one_time and ref is None:
            continue   # nothing to identify it by (a payment without a contract)
        required, why = _required(component, voucher)
        found.append(Need(component, required, ref, why))
    return found
