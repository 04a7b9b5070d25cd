"""System steps of the workflows, by step name: the worker queue's handler dispatches here.

It takes the adapters the steps use as parameters (the handler passes them from the composition
root), so no service module imports the composition root."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from ..adapters.ledger import LedgerAdapter
from ..adapters.repository import Repository
from ..adapters.workflow import Workflows
from ..config import Config
from . import allocation, closing, posting, registrations, specimens

if TYPE_CHECKING:
    from ..adapters.ledger import LedgerAdapter
    from ..adapters.repository import Repository
    from ..adapters.workflow import Workflows
    from ..config import Config

def run(message: dict, *, repo: Repository, workflows: Workflows, ledger: LedgerAdapter,
        config: Config, now: datetime) -> str:
    step = message.get("step")
    if step == "posting":
        return posting.post_payment(message, repo=repo, workflows=workflows, ledger=ledger, now=now)
    if step == "activation":
        return registrations.activate(message, repo=repo, workflows=workflows, config=config, now=now)
    if step == "apply_changes":
        return specimens.apply(message, repo=repo, workflows=workflows, now=now)
    if step == "allocate":
        return allocation.allocate(message, repo=repo, workflows=workflows, now=now)
    if step == "close_account":
        return closing.close(message, repo=repo, workflows=workflows, now=now)
    if step == "put_in_force":
        from . import autopay
        return autopay.put_in_force(message, repo=repo, workflows=workflows,
                                    store=autopay.store(config), now=now)
    raise LookupError(f"no worker for step {step!r}")  # redelivered, then dead-lettered
