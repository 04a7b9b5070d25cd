"""Who the caller is and what the service offers: login, the caller's profile, the procedure
catalogue and the OpenAPI document."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chalice import Blueprint

from .request import Request, Routes

bp = Blueprint(__name__)
route = Routes(bp)
OPENAPI = Path(__file__).parents[1] / "openapi.json"


@route("/v1/auth/token", methods=["POST"])
def login(req: Request) -> tuple[int, Any]:
    from chalicelib.adapters.identity import login as cognito_login
    from chalicelib.domain import commands
    from chalicelib.domain.errors import InvalidField
    body = req.body()
    cmd = commands.parse(commands.Login, body) if isinstance(body, dict) else None
    if cmd is None or not isinstance(cmd.username, str) or not isinstance(cmd.password, str):
        raise InvalidField("Cần username và password.", code="required", field="username")
    cfg = req.services.config
    return 200, cognito_login(cfg.region, cfg.user_pool_client_id, cmd.username, cmd.password)


@route("/v1/me", methods=["GET"])
def me(req: Request) -> tuple[int, Any]:
    from chalicelib.services import authz
    principal = req.principal()
    authz.require(principal, "me.read")
    return 200, principal.public()


@route("/v1/procedures", methods=["GET"])
def procedures(req: Request) -> tuple[int, Any]:
    from chalicelib.domain import catalogue
    return 200, {"items": [p.public() for p in catalogue.CATALOGUE]}


@route("/v1/openapi.json", methods=["GET"])
def openapi(req: Request) -> tuple[int, Any]:
    return 200, json.loads(OPENAPI.read_text(encoding="utf-8"))
