"""The sweeper: what was committed but never reached Step Functions is delivered late, by itself.

A submission commits its dossier and then starts the execution; a decision commits the task, the
dossier's move and the audit record and then answers the token. Either second call can fail after
botocore's retries are spent (throttling, 5xx, a timeout), or the process can die in between. So
the transaction also writes a marker on the dossier — what is to be delivered, and since when —
that puts it in the sparse `undelivered` index; the next task opening for the dossier (proof that
the workflow moved) removes it at no extra cost. Every few minutes this job reads the index
(a Query, never a Scan) for markers older than a grace period and delivers them again:

- a start: StartExecution under the dossier's id, idempotent by name (an execution that exists
  already is fine);
- a decision: SendTaskSuccess with the decision recorded on the task; a token already answered
  (TaskTimedOut, InvalidToken) means it was delivered, or the step timed out and the workflow
  re-opened it as an overdue task — either way nothing is left to deliver.

Then the marker is removed, conditionally on its being the one read.
"""
from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta

from ..adapters.models import Dossier
from ..adapters.repository import Repository
from ..adapters.workflow import TaskExpired, Workflows, WorkflowUnavailable
from ..config import Config
from ..domain import catalogue
from . import common

log = logging.getLogger(__name__)
PARTITION = "pending"
GRACE = timedelta(minutes=2)   # longer than a request's own retries take to give up
PAGE = 200


def mark(kind: str, at: str, **detail: object) -> list:
    """The actions that mark a dossier, in the transaction that commits what is to deliver."""
    return [Dossier.undelivered.set({"kind": kind, **detail}), Dossier.sweep.set(PARTITION),
            Dossier.sweep_since.set(at)]


def mark_new(dossier: Dossier, at: str) -> None:
    """A new dossier's marker (its execution is to be started)."""
    dossier.undelivered, dossier.sweep, dossier.sweep_since = {"kind": "start"}, PARTITION, at


def cleared() -> list:
    return [Dossier.undelivered.remove(), Dossier.sweep.remove(), Dossier.sweep_since.remove()]


def sweep(*, repo: Repository, workflows: Workflows, config: Config, now: datetime,
          grace: timedelta = GRACE) -> dict[str, int]:
    """One pass; returns counts: `started` (executions started late), `redelivered` (decisions
    answered late), `already_taken` (nothing was missing), `failed` (left for the next pass)."""
    counts: Counter = Counter()
    before = common.iso(now - grace)
    while True:
        ids = repo.undelivered(PARTITION, before, PAGE)
        progressed = False
        for dossier_id in ids:
            dossier = repo.dossier(dossier_id)
            if dossier is None or not dossier.undelivered or (dossier.sweep_since or "") > before:
                continue
            try:
                outcome = _deliver(dossier, repo=repo, workflows=workflows, config=config, now=now)
            except WorkflowUnavailable:
                counts["failed"] += 1
                continue
            counts[outcome] += 1
            progressed |= repo.clear_undelivered(dossier)
            log.info("undelivered workflow call handled",
                     extra={"dossier_id": dossier_id, "outcome": outcome})
        if len(ids) < PAGE or not progressed:
            return dict(counts)


def _deliver(dossier: Dossier, *, repo: Repository, workflows: Workflows, config: Config,
             now: datetime) -> str:
    marker = dossier.undelivered or {}
    proc = catalogue.get_version(dossier.procedure, dossier.procedure_version)
    if marker.get("kind") == "start":
        from .dossiers import start_workflow
        start_workflow(proc, dossier.dossier_id, common.parse_iso(dossier.due_at), now,
                       workflows, config)
        return "started"
    task = repo.task(str(marker.get("task_id")))
    if task is None or task.state != "decided" or not task.token:
        return "already_taken"
    next_due = marker.get("next_due")
    output = {"decision": task.decision,
              "timeout_seconds": common.seconds_until(common.parse_iso(next_due), now)
              if next_due else 1}
    try:
        workflows.complete(task.token, output)
    except TaskExpired:
        return "already_taken"
    return "redelivered"
