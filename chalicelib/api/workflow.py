"""What the workflows wait for: a step waiting for a person (the task queue), one waiting for the
system (the worker queue) and the core ledger's answers to posting requests."""
from __future__ import annotations

import json
from typing import Any

from chalice import Blueprint

from chalicelib.queues import LEDGER_CONFIRMATION_QUEUE, TASK_QUEUE, WORKER_QUEUE

from .request import now, services

bp = Blueprint(__name__)


@bp.on_sqs_message(queue=TASK_QUEUE, batch_size=1)
def handle_task_messages(event: Any) -> None:
    """A workflow step is waiting for a person: put it in the right inbox."""
    from chalicelib.services import tasks
    for record in event:
        tasks.open_task(json.loads(record.body), repo=services().repo, now=now())


@bp.on_sqs_message(queue=WORKER_QUEUE, batch_size=1)
def handle_worker_messages(event: Any) -> None:
    """A workflow step is waiting for the system: post a payment, activate a registration."""
    from chalicelib.services import workers
    for record in event:
        svc = services()
        workers.run(json.loads(record.body), repo=svc.repo, workflows=svc.workflows,
                    ledger=svc.ledger, config=svc.config, now=now())


@bp.on_sqs_message(queue=LEDGER_CONFIRMATION_QUEUE, batch_size=1)
def handle_ledger_confirmations(event: Any) -> None:
    """The core ledger answered a posting request: the dossier ends paid, recorded or refused and
    its workflow goes on, or the request is retried (docs/ledger-contract.md)."""
    from chalicelib.domain.payee_returns import is_return
    from chalicelib.services import ledger, payee_returns
    svc = services()
    for record in event:
        body = json.loads(record.body)
        if is_return(body):   # a payroll line the payee's bank sent back (payee_returns.py)
            payee_returns.on_return(body, repo=svc.repo, store=svc.documents, now=now())
            continue
        ledger.on_confirmation(body, repo=svc.repo, ledger=svc.ledger,
                               workflows=svc.workflows, now=now())
