"""Documents: a presigned upload for one file, the files of a dossier, and the documents its
results give the unit to print and keep (receipt notice, advice, Mẫu 33, confirmed form)."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.domain import commands

from .request import Html, Request, Routes

bp = Blueprint(__name__)
route = Routes(bp)


@route("/v1/documents", methods=["POST"])
def start_document_upload(req: Request) -> tuple[int, Any]:
    """A presigned upload URL for one file of the caller's unit, named by its SHA-256."""
    from chalicelib.services import documents
    principal = req.principal()
    return documents.start_upload(principal, req.command(commands.StartUpload), store=req.services.documents,
                                  now=req.now)


@route("/v1/dossiers/{dossier_id}/documents", methods=["GET"])
def dossier_documents(req: Request, dossier_id: str) -> tuple[int, Any]:
    from chalicelib.services import documents
    principal = req.principal()
    svc = req.services
    return 200, documents.for_dossier(principal, dossier_id, repo=svc.repo, store=svc.documents,
                                      now=req.now, statements=svc.statements)


@route("/v1/dossiers/{dossier_id}/documents/{kind}", methods=["GET"])
def dossier_printable(req: Request, dossier_id: str, kind: str) -> tuple[int, Any]:
    """One document of the dossier's results as print-ready HTML (domain/printable.py)."""
    from chalicelib.services import printable
    text, filename = printable.document(req.principal(), dossier_id, kind, repo=req.services.repo,
                                        statements=req.services.statements)
    return 200, Html(text, filename)
