"""SQS delivers at least once: the queue handlers must be safe to run twice on one message."""
from __future__ import annotations

import boto3
import pytest

from chalicelib import clock, composition
from chalicelib.services import posting, tasks

pytestmark = pytest.mark.integration
ACCOUNT = "9523.1.1012345"


def stored_token(stack, task_id: str) -> str:
    ddb = boto3.client("dynamodb", endpoint_url=stack.endpoint_url)
    item = ddb.get_item(TableName=stack.env["TABLE_TASKS"], Key={"task_id": {"S": task_id}})
    return item["Item"]["token"]["S"]


def test_a_redelivered_task_message_does_not_open_a_second_task(flow, stack, unique):
    d = flow.submit(unique("REDELIVER"))
    task = flow.task(flow.officer, d["dossier_id"])
    message = {"dossier_id": d["dossier_id"], "procedure": "regular_spending_payment",
               "version": "347-2025", "step": "review", "overdue": False,
               "timeout_seconds": 3600, "token": stored_token(stack, task["task_id"])}
    opened = tasks.open_task(message, repo=composition.services().repo, now=clock.now())
    assert opened is False
    _, inbox = flow.api.call("GET", "/v1/tasks?state=open&limit=200", token=flow.officer)
    assert [t["task_id"] for t in inbox["items"] if t["dossier_id"] == d["dossier_id"]] == \
        [task["task_id"]]


def test_a_redelivered_posting_message_never_debits_twice(flow, unique):
    before = flow.balance(ACCOUNT)
    d = flow.submit(unique("TWICE"), 2_000_000)
    flow.decide(flow.officer, d["dossier_id"], "accept")
    flow.decide(flow.leader, d["dossier_id"], "approve")
    flow.reaches(d["dossier_id"], "paid")
    svc = composition.services()
    # The same message again, as SQS may deliver it after the worker already succeeded; its
    # token has been answered, so completing it again is refused by Step Functions and ignored.
    outcome = posting.post_payment({"dossier_id": d["dossier_id"], "token": "already-used"},
                                   repo=svc.repo, workflows=svc.workflows, now=clock.now())
    assert outcome == "posted"
    assert flow.balance(ACCOUNT) == before - 2_000_000
    _, trail = flow.api.call("GET", f"/v1/dossiers/{d['dossier_id']}/audit", token=flow.unit)
    assert [r["action"] for r in trail["records"]].count("posted") == 1
