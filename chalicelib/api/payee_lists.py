"""Payee lists: the file the accounting software exported (CSV or .xlsx) read into a payroll's
lines before the accountant signs them (services/payee_import.py). The body is the file itself,
not JSON; API Gateway hands the .xlsx through as binary (app.py's binary_types)."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from .request import Request, Routes

bp = Blueprint(__name__)
route = Routes(bp)


@route("/v1/payee-lists/import", methods=["POST"], content_types=["*/*"])
def import_payee_list(req: Request) -> tuple[int, Any]:
    from chalicelib.services import payee_import
    principal = req.principal()
    raw = req.raw.raw_body or b""
    return 200, payee_import.import_list(principal, raw if isinstance(raw, bytes) else raw.encode(),
                                         req.header("content-type"), req.query("form"))
