"""A dossier's documents to print and keep (domain/printable.py renders them): which ones it
has, and one of them as HTML, for the callers who may read the dossier (its unit and its
office, as every sub-resource of a dossier)."""
from __future__ import annotations

from ..adapters.identity import Principal
from ..adapters.models import Dossier, DossierBody
from ..adapters.repository import Repository
from ..domain import printable
from ..domain.errors import NotFound
from . import budget_forms, common, receipt_notices

REGISTRATION = "service_registration"


def _unit_name(dossier: Dossier, body: DossierBody, repo: Repository) -> str | None:
    """The unit as the directory names it; a registration (TK01) by its own form (the unit may
    not exist yet, or, for a refused form, be another's)."""
    if dossier.procedure == REGISTRATION:
        return ((body.content or {}).get("registration") or {}).get("unit", {}).get("name")
    unit = repo.unit(dossier.unit_id)
    return unit.name if unit else None


def view_of(dossier: Dossier, body: DossierBody, repo: Repository) -> dict:
    """What the renderer reads: the dossier as the API shows it (the result with its confirmed
    form), the content the unit signed, and the names that head a document."""
    summary = common.dossier_summary(dossier)
    return {**summary, "result": budget_forms.with_confirmed_form(dossier, body, summary["result"]),
            "content": body.content or {}, "extensions": dossier.extensions or [],
            "unit_name": _unit_name(dossier, body, repo),
            "receipt_notice": receipt_notices.notice_of(dossier, repo) if dossier.received_at
            else None,
            "office_name": repo.office_name(dossier.office_id) or f"KBNN {dossier.office_id}"}


def listed(dossier: Dossier, body: DossierBody, repo: Repository) -> list[dict]:
    """The documents the dossier has now, each with its path."""
    return [{**item, "path": f"/v1/dossiers/{dossier.dossier_id}/documents/{item['kind']}"}
            for item in printable.available(view_of(dossier, body, repo))]


def document(principal: Principal, dossier_id: str, kind: str, *, repo: Repository
             ) -> tuple[str, str]:
    """One document of the dossier as print-ready HTML, and its file name. A kind the dossier
    does not have (yet, or at all) is 404 `document_not_available`; the dossier is checked
    first, so another unit's dossier stays "not found" whatever the kind."""
    dossier = common.load_dossier(repo, principal, dossier_id, "dossier.read")
    body = repo.body(dossier)
    view = view_of(dossier, body, repo)
    spec = printable.KINDS.get(kind)
    if spec is None or not spec.has(view):
        raise NotFound("Hồ sơ không có văn bản này.", code="document_not_available", field="kind")
    return printable.render(spec, view), f"{dossier_id}-{kind}.html"
