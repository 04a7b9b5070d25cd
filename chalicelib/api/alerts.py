"""Risk flags and the SNS subscriptions that deliver them."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.domain import commands

from .request import Request, Routes

bp = Blueprint(__name__)
route = Routes(bp)


@route("/v1/alerts", methods=["GET"])
def list_alerts(req: Request) -> tuple[int, Any]:
    from chalicelib.services import alerts
    principal = req.principal()
    svc = req.services
    return 200, alerts.list_flags(principal, store=svc.alerts, repo=svc.repo,
                                  rule=req.query("rule"), dossier_id=req.query("dossier_id"),
                                  office=req.query("office"), limit=req.limit(),
                                  cursor=req.query("cursor"))


@route("/v1/alerts/subscriptions", methods=["POST"])
def subscribe_to_alerts(req: Request) -> tuple[int, Any]:
    from chalicelib.services import alerts
    principal = req.principal()
    svc = req.services
    return alerts.subscribe(principal, req.command(commands.Subscribe), store=svc.alerts, topics=svc.topics,
                            now=req.now)


@route("/v1/alerts/subscriptions", methods=["GET"])
def list_alert_subscriptions(req: Request) -> tuple[int, Any]:
    from chalicelib.services import alerts
    principal = req.principal()
    svc = req.services
    return 200, alerts.subscriptions(principal, store=svc.alerts, topics=svc.topics)


@route("/v1/alerts/subscriptions/{subscription_id}", methods=["DELETE"])
def unsubscribe_from_alerts(req: Request, subscription_id: str) -> tuple[int, Any]:
    from chalicelib.services import alerts
    principal = req.principal()
    svc = req.services
    return 200, alerts.unsubscribe(principal, subscription_id, store=svc.alerts,
                                   topics=svc.topics)
