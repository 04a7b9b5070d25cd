"""The advance register (347/2025 Art.6 cl.2 pt.e): a unit's open advances, what is left of
each and how old it is."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from .request import Request, Routes

bp = Blueprint(__name__)
route = Routes(bp)


@route("/v1/advances", methods=["GET"])
def advance_register(req: Request) -> tuple[int, Any]:
    from chalicelib.services import advances
    return 200, advances.register(req.principal(), unit=req.query("unit"),
                                  open_only=req.query("open"), repo=req.services.repo,
                                  now=req.now)
