"""Balance reconciliation statements (Decree 347/2025 Art. 10): reading, replying, resolving
and the reconciliation report."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.domain import commands

from .request import Request, Routes

bp = Blueprint(__name__)
route = Routes(bp)


@route("/v1/statements", methods=["GET"])
def list_statements(req: Request) -> tuple[int, Any]:
    from chalicelib.services import statements
    principal = req.principal()
    svc = req.services
    return 200, statements.list_for(principal, store=svc.statements, repo=svc.repo,
                                    period=req.query("period"), status=req.query("status"),
                                    office=req.query("office"), limit=req.limit(),
                                    cursor=req.query("cursor"))


@route("/v1/statements/{statement_id}", methods=["GET"])
def get_statement(req: Request, statement_id: str) -> tuple[int, Any]:
    from chalicelib.services import statements
    principal = req.principal()
    svc = req.services
    return 200, statements.get(principal, statement_id, store=svc.statements, repo=svc.repo)


@route("/v1/statements/{statement_id}/reply", methods=["POST"])
def reply_to_statement(req: Request, statement_id: str) -> tuple[int, Any]:
    from chalicelib.services import statements
    principal = req.principal()
    svc = req.services
    return 200, statements.reply(principal, statement_id, req.command(commands.Submit), store=svc.statements,
                                 repo=svc.repo, now=req.now)


@route("/v1/statements/{statement_id}/resolution", methods=["POST"])
def resolve_statement(req: Request, statement_id: str) -> tuple[int, Any]:
    from chalicelib.services import statements
    principal = req.principal()
    svc = req.services
    return 200, statements.resolve(principal, statement_id, req.command(commands.Resolve),
                                   store=svc.statements, repo=svc.repo, now=req.now)


@route("/v1/reports/reconciliation", methods=["GET"])
def reconciliation_report(req: Request) -> tuple[int, Any]:
    from chalicelib.services import statements
    principal = req.principal()
    svc = req.services
    return 200, statements.report(principal, office=req.query("office"),
                                  period=req.query("period"), store=svc.statements,
                                  repo=svc.repo)
