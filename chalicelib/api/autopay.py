"""Utility auto-pay (347/2025 Art.6 cl.3 pt.a): the unit's authorisations and their bills, its
revocation, and the consumer of the providers' bill feed (queue `kbnn-autopay-bills`,
docs/autopay.md)."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.domain import commands
from chalicelib.queues import AUTOPAY_BILL_QUEUE

from .request import Request, Routes, now, services

bp = Blueprint(__name__)
route = Routes(bp)


@route("/v1/autopay", methods=["GET"])
def list_autopay_authorisations(req: Request) -> tuple[int, Any]:
    from chalicelib.services import autopay
    return 200, autopay.list_for(req.principal(), store=lambda: autopay.store(req.services.config))


@route("/v1/autopay/{authorisation_id}", methods=["GET"])
def get_autopay_authorisation(req: Request, authorisation_id: str) -> tuple[int, Any]:
    from chalicelib.services import autopay
    return 200, autopay.read(req.principal(), authorisation_id,
                             store=lambda: autopay.store(req.services.config))


@route("/v1/autopay/{authorisation_id}/revoke", methods=["POST"])
def revoke_autopay_authorisation(req: Request, authorisation_id: str) -> tuple[int, Any]:
    from chalicelib.services import autopay
    # The body is optional; when sent, it is parsed at the edge like every other.
    cmd = req.command(commands.RevokeAutopay) if req.raw.raw_body else commands.RevokeAutopay()
    return 200, autopay.revoke(req.principal(), authorisation_id, cmd,
                               store=lambda: autopay.store(req.services.config), now=req.now)


@bp.on_sqs_message(queue=AUTOPAY_BILL_QUEUE, batch_size=1)
def handle_autopay_bills(event: Any) -> None:
    """A provider's bill: debited once under the unit's authorisation, or refused; the unit told."""
    from chalicelib.services import autopay
    for record in event:
        svc = services()
        autopay.receive_bill(record.body, repo=svc.repo, store=autopay.store(svc.config),
                             mailer=svc.mailer, topics=svc.topics, now=now())
