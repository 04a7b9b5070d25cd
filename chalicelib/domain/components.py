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

from .catalogue import ALWAYS, CONTRACT_OVER_THRESHOLD, CONTRACT_THRESHOLD, Component, ProcedureVersion
from .voucher import Voucher

OTHER = "other"   # a document outside the procedure's list: accepted, never required


@dataclass(frozen=True)
class Need:
    component: Component
    required: bool
    reference: str | None     # one-time documents only


def kinds(proc: ProcedureVersion) -> tuple[str, ...]:
    return (*(c.kind for c in proc.components), OTHER)


def reference(component: Component, voucher: Voucher) -> str | None:
    values = [getattr(voucher, name) for name in component.reference]
    return "#".join(str(v) for v in values) if values and None not in values else None


def _required(component: Component, voucher: Voucher) -> bool:
    if component.kind == "estimate_approval" and voucher.estimate_type == "temporary":
        return False   # paid from a temporary allocation (Mẫu 22): no approved estimate yet
    if component.required == ALWAYS:
        return True
    if component.required == CONTRACT_OVER_THRESHOLD:
        return voucher.contract_value is not None and voucher.contract_value > CONTRACT_THRESHOLD
    return False


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
        found.append(Need(component, _required(component, voucher), ref))
    return found
