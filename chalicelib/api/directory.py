"""The directory: accounts, signing certificates and an office's days off."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.domain import commands

from .request import Request, Routes

bp = Blueprint(__name__)
route = Routes(bp)


@route("/v1/accounts/{account_id}", methods=["GET"])
def get_account(req: Request, account_id: str) -> tuple[int, Any]:
    from chalicelib.services import accounts
    return 200, accounts.account(req.principal(), account_id, repo=req.services.repo)


@route("/v1/offices/{office_id}/days-off", methods=["POST"])
def add_office_day_off(req: Request, office_id: str) -> tuple[int, Any]:
    from chalicelib.services import offices
    principal = req.principal()
    return 201, offices.add_day_off(principal, office_id, req.command(commands.AddDayOff),
                                    repo=req.services.repo, now=req.now)


@route("/v1/certificates", methods=["POST"])
def register_certificate(req: Request) -> tuple[int, Any]:
    from chalicelib.services import certificates
    principal = req.principal()
    return 201, certificates.register(principal, req.command(commands.RegisterCertificate),
                                      repo=req.services.repo, now=req.now)


@route("/v1/certificates", methods=["GET"])
def list_certificates(req: Request) -> tuple[int, Any]:
    from chalicelib.services import certificates
    return 200, certificates.list_for(req.principal(), req.query("unit_id"),
                                      repo=req.services.repo)


@route("/v1/certificates/{fingerprint}/revoke", methods=["POST"])
def revoke_certificate(req: Request, fingerprint: str) -> tuple[int, Any]:
    from chalicelib.services import certificates
    principal = req.principal()
    return 200, certificates.revoke(principal, fingerprint,
                                    req.command(commands.RevokeCertificate),
                                    repo=req.services.repo, now=req.now)
