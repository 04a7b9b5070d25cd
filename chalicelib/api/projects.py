"""The project register of public-investment payments (254/2025 Art.6 cl.4-5, Art.7): the office
records each project's total investment and the year's capital plan; the checks read them."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.domain import commands

from .request import Request, Routes

bp = Blueprint(__name__)
route = Routes(bp)


@route("/v1/projects/{code}", methods=["PUT"])
def put_project(req: Request, code: str) -> tuple[int, Any]:
    from chalicelib.services import authz, projects
    principal = req.principal()
    authz.require(principal, "project.manage")   # the policy before the body is read
    return 200, projects.put_project(principal, code, req.command(commands.PutProject),
                                     repo=req.services.repo, now=req.now)


@route("/v1/projects/{code}/plans/{year}", methods=["PUT"])
def put_year_plan(req: Request, code: str, year: str) -> tuple[int, Any]:
    from chalicelib.services import authz, projects
    principal = req.principal()
    authz.require(principal, "project.manage")   # the policy before the body is read
    return 200, projects.put_year_plan(principal, code, year, req.command(commands.PutYearPlan),
                                       repo=req.services.repo, now=req.now)


@route("/v1/projects/{code}", methods=["GET"])
def get_project(req: Request, code: str) -> tuple[int, Any]:
    from chalicelib.services import projects
    return 200, projects.get_project(req.principal(), code, repo=req.services.repo)
