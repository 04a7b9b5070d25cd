"""Dossiers: submitting (and TK01 registrations, which need no login), reading, supplementing,
their checks, signatures and audit trail, a late dossier's reason and a deadline's extension."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.domain import commands
from chalicelib.domain.jsonbody import MAX_SUBMISSION_BYTES as SUBMISSION_BYTES

from .request import Request, Routes

bp = Blueprint(__name__)
route = Routes(bp)


@route("/v1/dossiers", methods=["POST"])
def submit_dossier(req: Request) -> tuple[int, Any]:
    from chalicelib.services import dossiers
    principal = req.principal()
    svc = req.services
    return dossiers.submit(principal, req.command(commands.Submit, limit=SUBMISSION_BYTES),
                           req.header("idempotency-key"),
                           repo=svc.repo, workflows=svc.workflows, config=svc.config,
                           store=svc.documents, now=req.now,
                           correlation_id=req.header("x-correlation-id"))


@route("/v1/registrations", methods=["POST"])
def submit_registration(req: Request) -> tuple[int, Any]:
    """Form TK01: no login yet; the account holder's signature is the proof."""
    from chalicelib.services import registrations
    svc = req.services
    return registrations.submit(req.command(commands.Submit), req.header("idempotency-key"),
                                repo=svc.repo, workflows=svc.workflows, config=svc.config,
                                now=req.now)


@route("/v1/dossiers", methods=["GET"])
def list_dossiers(req: Request) -> tuple[int, Any]:
    from chalicelib.services import dossiers
    principal = req.principal()
    return 200, dossiers.list_for(principal, repo=req.services.repo,
                                  status=req.query("status"), procedure=req.query("procedure"),
                                  office=req.query("office"), limit=req.limit(),
                                  cursor=req.query("cursor"))


@route("/v1/dossiers/{dossier_id}", methods=["GET"])
def get_dossier(req: Request, dossier_id: str) -> tuple[int, Any]:
    from chalicelib.services import dossiers
    return 200, dossiers.get(req.principal(), dossier_id, repo=req.services.repo,
                            statements=req.services.statements, now=req.now)


@route("/v1/dossiers/{dossier_id}/audit", methods=["GET"])
def dossier_audit(req: Request, dossier_id: str) -> tuple[int, Any]:
    from chalicelib.services import dossiers
    return 200, dossiers.audit_trail(req.principal(), dossier_id, repo=req.services.repo)


@route("/v1/dossiers/{dossier_id}/receipt-notice", methods=["GET"])
def dossier_receipt_notice(req: Request, dossier_id: str) -> tuple[int, Any]:
    from chalicelib.services import receipt_notices
    return 200, receipt_notices.for_dossier(req.principal(), dossier_id, repo=req.services.repo)


@route("/v1/dossiers/{dossier_id}/signatures", methods=["GET"])
def dossier_signatures(req: Request, dossier_id: str) -> tuple[int, Any]:
    from chalicelib.services import dossiers
    return 200, dossiers.signature_check(req.principal(), dossier_id, repo=req.services.repo,
                                         now=req.now, store=req.services.documents)


@route("/v1/dossiers/{dossier_id}/payee-lines", methods=["GET"])
def dossier_payee_lines(req: Request, dossier_id: str) -> tuple[int, Any]:
    from chalicelib.services import payee_lines
    return 200, payee_lines.lines_page(req.principal(), dossier_id, repo=req.services.repo,
                                       store=req.services.documents, cursor=req.query("cursor"),
                                       limit=req.limit())


@route("/v1/dossiers/{dossier_id}/supplement", methods=["POST"])
def supplement_dossier(req: Request, dossier_id: str) -> tuple[int, Any]:
    from chalicelib.services import dossiers
    principal = req.principal()
    svc = req.services
    return 200, dossiers.supplement(principal, dossier_id,
                                    req.command(commands.Submit, limit=SUBMISSION_BYTES), repo=svc.repo,
                                    workflows=svc.workflows, store=svc.documents, now=req.now)


@route("/v1/dossiers/{dossier_id}/checks", methods=["GET"])
def dossier_checks(req: Request, dossier_id: str) -> tuple[int, Any]:
    from chalicelib.services import checks
    return 200, checks.checklist(req.principal(), dossier_id, repo=req.services.repo,
                                 statements=req.services.statements)


@route("/v1/dossiers/{dossier_id}/delay-reason", methods=["POST"])
def record_delay_reason(req: Request, dossier_id: str) -> tuple[int, Any]:
    from chalicelib.services import reports
    principal = req.principal()
    return 200, reports.record_delay_reason(principal, dossier_id,
                                            req.command(commands.DelayReason),
                                            repo=req.services.repo, now=req.now)


@route("/v1/dossiers/{dossier_id}/extension", methods=["POST"])
def extend_deadline(req: Request, dossier_id: str) -> tuple[int, Any]:
    from chalicelib.services import extensions
    principal = req.principal()
    svc = req.services
    return 200, extensions.extend(principal, dossier_id, req.command(commands.Extend), repo=svc.repo,
                                  workflows=svc.workflows, now=req.now)
