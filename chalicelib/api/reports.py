"""Reports: overdue dossiers, the national portal's status feed, the figures kept from domain
events (JSON or CSV) and the figures an office declares by hand."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.domain import commands

from .request import Request, Routes

bp = Blueprint(__name__)
route = Routes(bp)


@route("/v1/reports/overdue", methods=["GET"])
def overdue_report(req: Request) -> tuple[int, Any]:
    from chalicelib.services import reports
    return 200, reports.overdue(req.principal(), office=req.query("office"),
                                without_reason=req.query("without_reason"),
                                repo=req.services.repo, now=req.now)


@route("/v1/portal/status", methods=["GET"])
def portal_status_feed(req: Request) -> tuple[int, Any]:
    from chalicelib.services import portal
    principal = req.principal()
    return 200, portal.status_feed(principal, since=req.query("since"), limit=req.limit(),
                                   store=req.services.aggregates, now=req.now)


@route("/v1/reports/dossiers", methods=["GET"], csv=True)
def dossier_figures(req: Request) -> tuple[int, Any]:
    from chalicelib.services import figures
    principal = req.principal()
    req.report_format()
    svc = req.services
    return 200, figures.dossier_figures(principal, office=req.query("office"),
                                        first=req.query("from"), last=req.query("to"),
                                        repo=svc.repo, store=svc.aggregates, now=req.now)


@route("/v1/reports/participation", methods=["GET"], csv=True)
def participation_figures(req: Request) -> tuple[int, Any]:
    from chalicelib.services import figures
    principal = req.principal()
    req.report_format()
    svc = req.services
    return 200, figures.participation(principal, office=req.query("office"), repo=svc.repo,
                                      store=svc.aggregates, now=req.now)


@route("/v1/reports/regular-senders", methods=["GET"], csv=True)
def regular_sender_figures(req: Request) -> tuple[int, Any]:
    from chalicelib.services import figures
    principal = req.principal()
    req.report_format()
    svc = req.services
    return 200, figures.regular_senders(principal, office=req.query("office"),
                                        weeks=req.query("weeks"), on=req.query("date"),
                                        repo=svc.repo, store=svc.aggregates, now=req.now)


@route("/v1/reports/online-vouchers", methods=["GET"], csv=True)
def online_voucher_figures(req: Request) -> tuple[int, Any]:
    from chalicelib.services import figures
    principal = req.principal()
    req.report_format()
    svc = req.services
    return 200, figures.online_vouchers(principal, office=req.query("office"),
                                        first=req.query("from"), last=req.query("to"),
                                        repo=svc.repo, store=svc.aggregates, now=req.now)


@route("/v1/offices/{office_id}/paper-vouchers", methods=["POST"])
def record_paper_vouchers(req: Request, office_id: str) -> tuple[int, Any]:
    from chalicelib.services import figures
    principal = req.principal()
    svc = req.services
    return 200, figures.record_paper_vouchers(principal, office_id,
                                              req.command(commands.PaperVouchers), repo=svc.repo,
                                              store=svc.aggregates, now=req.now)


@route("/v1/offices/{office_id}/mandatory-units", methods=["POST"])
def declare_mandatory_units(req: Request, office_id: str) -> tuple[int, Any]:
    from chalicelib.services import figures
    principal = req.principal()
    svc = req.services
    return 200, figures.declare_mandatory_units(principal, office_id,
                                                req.command(commands.MandatoryUnits), repo=svc.repo,
                                                store=svc.aggregates, now=req.now)
