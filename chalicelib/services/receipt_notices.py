"""The receipt notice of a dossier (347/2025 Art.3 cl.4 pt.a), for whoever may read the dossier:
its unit's users and the officers of its office (and the leaders above it). The notice itself is
the pure domain/receipt_notice.py; this reads what it needs: the dossier, when it was last
received complete (a resubmission's audit record) and the office's name."""
from __future__ import annotations

from ..adapters.identity import Principal
from ..adapters.models import Dossier
from ..adapters.repository import Repository
from ..domain.receipt_notice import receipt_notice
from . import common

FACTS = ("dossier_id", "procedure", "procedure_version", "unit_id", "received_at", "due_at",
         "extensions", "payment_kind", "voucher_number", "amount", "account_id")


def for_dossier(principal: Principal, dossier_id: str, *, repo: Repository) -> dict:
    return notice_of(common.load_dossier(repo, principal, dossier_id, "dossier.read"), repo)


def notice_of(dossier: Dossier, repo: Repository) -> dict:
    """The notice of a dossier already authorised (the printable notice reads it too)."""
    dossier_id = dossier.dossier_id
    facts = {name: getattr(dossier, name) for name in FACTS}
    facts["amount"] = int(facts["amount"]) if facts["amount"] is not None else None
    resubmitted = [r["at"] for r in repo.audit_records(dossier_id) if r.get("action") == "resubmitted"]
    if resubmitted:
        facts["complete_at"] = resubmitted[-1]
    office = {"office_id": dossier.office_id, "name": repo.office_name(dossier.office_id)}
    return receipt_notice(facts, office)
