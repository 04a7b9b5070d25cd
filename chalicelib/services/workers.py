"""System steps of the workflows, by step name: the worker queue's handler dispatches here."""
from __future__ import annotations

from datetime import datetime

from ..composition import Services
from . import closing, posting, registrations, specimens


def run(message: dict, svc: Services, now: datetime) -> str:
    step = message.get("step")
    if step == "posting":
        return posting.post_payment(message, repo=svc.repo, workflows=svc.workflows,
                                    ledger=svc.ledger, now=now)
    if step == "activation":
        return registrations.activate(message, repo=svc.repo, workflows=svc.workflows,
                                      config=svc.config, now=now)
    if step == "apply_changes":
        return specimens.apply(message, repo=svc.repo, workflows=svc.workflows, now=now)
    if step == "close_account":
        return closing.close(message, repo=svc.repo, workflows=svc.workflows, now=now)
    raise LookupError(f"no worker for step {step!r}")  # redelivered, then dead-lettered
