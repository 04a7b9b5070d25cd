"""What we still owe Step Functions, in one place: the markers, starting a workflow, answering a
task token, and delivering late what a marker says was never taken.

A submission commits its dossier and then starts the execution; a decision commits the task, the
dossier's move and the audit record and then answers the token. Either second call can fail after
botocore's retries are spent (throttling, 5xx, a timeout), or the process can die in between. So
the transaction also writes a marker on the dossier — what is to be delivered, and since when —
that puts it in the sparse `undelivered` index; the next task opening for the dossier (proof that
the workflow moved) removes it at no extra cost. The sweeper (services/sweeper.py) reads the
index every few minutes and hands each marker older than its grace period to `deliver()`:

- a start: StartExecution under the dossier's id, idempotent by name (an execution that exists
  already is fine);
- a decision: SendTaskSuccess with the decision recorded on the task; a token already answered
  (TaskTimedOut, InvalidToken) means it was delivered, or the step timed out and the workflow
  re-opened it as an overdue task — either way nothing is left to deliver.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from ..adapters.repository import Repository
from ..adapters.workflow import TaskExpired, Workflows, WorkflowUnavailable
from ..config import Config
from ..domain import catalogue
from ..domain.changes import REMOVE
from . import common

if TYPE_CHECKING:   # record types only: the repository reads and writes them
    from ..adapters.models import Dossier, Task

log = logging.getLogger(__name__)
PARTITION = "pending"   # the one partition of the sparse `undelivered` index


def mark(kind: str, at: str, **detail: object) -> dict:
    """The dossier's changes that mark it, in the transaction that commits what is to deliver."""
    return {"undelivered": {"kind": kind, **detail}, "sweep": PARTITION, "sweep_since": at}


def mark_new(dossier: Dossier, at: str) -> None:
    """A new dossier's marker (its execution is to be started)."""
    dossier.undelivered, dossier.sweep, dossier.sweep_since = {"kind": "start"}, PARTITION, at


def cleared() -> dict:
    """The dossier's changes that remove its marker (the workflow took what was committed)."""
    return dict.fromkeys(("undelivered", "sweep", "sweep_since"), REMOVE)


def start_workflow(proc: catalogue.ProcedureVersion, dossier_id: str, due: datetime, now: datetime,
                   workflows: Workflows, config: Config) -> None:
    workflows.start(config.state_machine_arn(proc.workflow_name), dossier_id, {
        "dossier_id": dossier_id,
        "outcome": {"decision": "submitted", "timeout_seconds": common.seconds_until(due, now)},
    })


def start_or_leave_to_sweeper(proc: catalogue.ProcedureVersion, dossier_id: str, due: datetime,
                              now: datetime, workflows: Workflows, config: Config) -> None:
    try:
        start_workflow(proc, dossier_id, due, now, workflows, config)
    except WorkflowUnavailable:   # committed: the dossier's marker has the sweeper start it
        log.warning("workflow start left to the sweeper", extra={"dossier_id": dossier_id})


def answer_decision(workflows: Workflows, task: Task, output: dict, now: datetime) -> None:
    """Answer a task's token once its decision has committed (with the dossier's delivery
    marker). Step Functions not taking it (retries spent) is left to the sweeper. A token found
    already answered while its step cannot yet have timed out was taken by our own earlier
    attempt (its response lost, the retry refused): delivered. Otherwise the step's timeout won
    the race: TaskExpired, and the workflow re-opens the step as an overdue task."""
    try:
        workflows.complete(task.token, output)
    except WorkflowUnavailable:
        log.warning("decision delivery left to the sweeper", extra={"dossier_id": task.dossier_id})
    except TaskExpired:
        if common.token_may_have_expired(task, now):
            raise


def deliver(dossier: Dossier, *, repo: Repository, workflows: Workflows, config: Config,
            now: datetime) -> str:
    """Deliver what the dossier's marker says is owed: `started`, `redelivered` or
    `already_taken`. Raises WorkflowUnavailable if Step Functions still does not take it."""
    marker = dossier.undelivered or {}
    proc = catalogue.get_version(dossier.procedure, dossier.procedure_version)
    if marker.get("kind") == "start":
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
