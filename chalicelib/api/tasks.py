"""Officers' tasks: the inbox and the decision that answers a waiting workflow step."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.domain import commands

from .request import Request, Routes

bp = Blueprint(__name__)
route = Routes(bp)


@route("/v1/tasks", methods=["GET"])
def list_tasks(req: Request) -> tuple[int, Any]:
    from chalicelib.services import tasks
    principal = req.principal()
    return 200, tasks.inbox(principal, repo=req.services.repo,
                            state=req.query("state") or "open", role=req.query("role"),
                            limit=req.limit(), cursor=req.query("cursor"))


@route("/v1/tasks/{task_id}/decision", methods=["POST"])
def decide_task(req: Request, task_id: str) -> tuple[int, Any]:
    from chalicelib.services import tasks
    principal = req.principal()
    svc = req.services
    return 200, tasks.decide(principal, task_id, req.command(commands.Decide), repo=svc.repo,
                             workflows=svc.workflows, now=req.now)
