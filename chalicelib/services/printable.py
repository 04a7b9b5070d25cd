"""A dossier's documents to print and keep (domain/printable.py renders them): which ones it
has, and one of them as HTML, for the callers who may read the dossier (its unit and its
office, as every sub-resource of a dossier)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..adapters.identity import Principal
from ..adapters.models import Dossier, DossierBody
from ..adapters.repository import Repository
from ..domain import catalogue, printable
from ..domain.errors import NotFound
from . import budget_forms, common, receipt_notices, reconciliation

if TYPE_CHECKING:
    from ..adapters.statements import StatementStore

REGISTRATION = "service_registration"


def _unit_name(dossier: Dossier, body: DossierBody, repo: Repository) -> str | None:
    """The unit as the directory names it; a registration (TK01) by its own form (the unit may
    not exist yet, or, for a refused form, be another's)."""
    if dossier.procedure == REGISTRATION:
        return ((body.content or {}).get("registration") or {}).get("unit", {}).get("name")
    unit = repo.unit(dossier.unit_id)
    return unit.name if unit else None


def _forms(dossier: Dossier, body: DossierBody, repo: Repository,
           statements: StatementStore | None) -> dict:
    """A reconciliation's block as the dossier view shows it (services/reconciliation.view: the
    unit's form, the treasury's, the differences, the confirmed form, the re-reconciliation),
    and a closed account's reconciliation forms as the unit sent them with Mẫu 25. Without the
    ledger (statements) neither is there, and neither document is listed."""
    content = body.content or {}
    if statements is None:
        return {}
    if dossier.procedure == "balance_reconciliation" and "reconciliation" in content:
        return {"reconciliation": reconciliation.view(dossier, content, repo=repo,
                                                      statements=statements)}
    if dossier.procedure == "account_closing" and dossier.status == catalogue.CLOSED \
            and isinstance(content.get("closing"), dict):
        return {"closing_forms": [seen["unit_form"] for seen in reconciliation.closing_compared(
            content["closing"], repo=repo, statements=statements)]}
    return {}


def view_of(dossier: Dossier, body: DossierBody, repo: Repository,
            statements: StatementStore | None = None) -> dict:
    """What the renderer reads: the dossier as the API shows it (the result with its confirmed
    form, a reconciliation's forms), the content the unit signed, and the names that head a
    document."""
    summary = common.dossier_summary(dossier)
    return {**summary, **_forms(dossier, body, repo, statements),
            "result": budget_forms.with_confirmed_form(dossier, body, summary["result"]),
            "content": body.content or {}, "extensions": dossier.extensions or [],
            "unit_name": _unit_name(dossier, body, repo),
            "receipt_notice": receipt_notices.notice_of(dossier, repo) if dossier.received_at
            else None,
            "office_name": repo.office_name(dossier.office_id) or f"KBNN {dossier.office_id}"}


def listed(dossier: Dossier, body: DossierBody, repo: Repository,
           statements: StatementStore | None = None) -> list[dict]:
    """The documents the dossier has now, each with its path."""
    return [{**item, "path": f"/v1/dossiers/{dossier.dossier_id}/documents/{item['kind']}"}
            for item in printable.available(view_of(dossier, body, repo, statements))]


def document(principal: Principal, dossier_id: str, kind: str, *, repo: Repository,
             statements: StatementStore | None = None) -> tuple[str, str]:
    """One document of the dossier as print-ready HTML, and its file name. A kind the dossier
    does not have (yet, or at all) is 404 `document_not_available`; the dossier is checked
    first, so another unit's dossier stays "not found" whatever the kind."""
    dossier = common.load_dossier(repo, principal, dossier_id, "dossier.read")
    body = repo.body(dossier)
    view = view_of(dossier, body, repo, statements)
    spec = printable.KINDS.get(kind)
    if spec is None or not spec.has(view):
        raise NotFound("Hồ sơ không có văn bản này.", code="document_not_available", field="kind")
    return printable.render(spec, view), f"{dossier_id}-{kind}.html"
