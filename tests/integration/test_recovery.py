"""The product recovers by itself from AWS calls that fail at the worst moment (devstack/faults.py):
a start or a decision that never reached Step Functions is delivered by the sweeper, a worker
that dies before answering its token is redelivered and completes the step once, and a ledger
confirmation handled twice posts once."""
from __future__ import annotations

import json
import uuid
from datetime import UTC, timedelta

import pytest

from chalicelib import clock, composition
from chalicelib.api import schedules
from devstack import samples
from devstack.faults import Faults
from tests.conftest import eventually

pytestmark = pytest.mark.integration
ACCOUNT = "9523.1.1012345"


@pytest.fixture
def faults():
    """Targeted faults only (no random share): the rest of the session is untouched."""
    with Faults(rate=0.0) as injected:
        yield injected


def sweep_later(minutes: int = 3) -> None:
    """The scheduled sweeper, run as EventBridge would, after the grace period has passed."""
    at = (clock.now() + timedelta(minutes=minutes)).astimezone(UTC)
    schedules.sweep_undelivered({"version": "0", "id": str(uuid.uuid4()), "source": "aws.events",
                           "account": "123456789012", "detail-type": "Scheduled Event",
                           "region": "us-east-1", "resources": [], "detail": {},
                           "time": at.strftime("%Y-%m-%dT%H:%M:%SZ")}, None)


def marker(dossier_id: str) -> dict | None:
    return composition.services().repo.dossier(dossier_id).undelivered


def audit_actions(flow, dossier_id: str) -> list[str]:
    _, trail = flow.api.call("GET", f"/v1/dossiers/{dossier_id}/audit", token=flow.unit)
    assert trail["verification"]["intact"], trail["verification"]
    return [r["action"] for r in trail["records"]]


def test_a_start_that_fails_after_the_commit_is_accepted_and_started_by_the_sweeper(
        flow, faults, unique):
    rule = faults.fail("StartExecution", "server_error", times=4)   # every attempt of one call
    d = flow.submit(unique("NOSTART"))
    assert rule.hits == 4
    assert marker(d["dossier_id"]) == {"kind": "start"}
    assert flow.dossier(d["dossier_id"])["status"] == "under_review"

    sweep_later()
    flow.decide(flow.officer, d["dossier_id"], "accept")       # its task appeared in the inbox
    flow.task(flow.leader, d["dossier_id"])
    assert marker(d["dossier_id"]) is None      # each task opening proves delivery: none left


def test_a_decision_step_functions_did_not_take_is_delivered_by_the_sweeper(flow, faults, unique):
    d = flow.submit(unique("NODELIVER"))
    rule = faults.fail("SendTaskSuccess", "throttle", times=4)
    status, answer = flow.decide(flow.officer, d["dossier_id"], "accept")
    assert (status, answer["status"], rule.hits) == (200, "awaiting_approval", 4)
    assert marker(d["dossier_id"])["kind"] == "decision"

    sweep_later()
    status, _ = flow.decide(flow.leader, d["dossier_id"], "approve")   # the leader's task came
    assert status == 200
    flow.reaches(d["dossier_id"], "paid")
    assert audit_actions(flow, d["dossier_id"]).count("accept") == 1


def test_a_decision_whose_response_was_lost_is_recognised_as_its_own_on_retry(flow, faults, unique):
    d = flow.submit(unique("LOSTRESP"))
    flow.task(flow.officer, d["dossier_id"])
    # The transaction commits, the answer never arrives; botocore's retry finds the task decided.
    rule = faults.fail("TransactWriteItems", "lost_response", times=1)
    status, answer = flow.decide(flow.officer, d["dossier_id"], "accept")
    assert (status, answer.get("status"), rule.hits) == (200, "awaiting_approval", 1), answer
    flow.task(flow.leader, d["dossier_id"])                     # delivered at once, no sweeper
    assert audit_actions(flow, d["dossier_id"]).count("accept") == 1


def test_a_worker_dying_before_its_send_task_success_completes_the_step_once_on_redelivery(
        api, tokens, pki_dir, faults):
    unit, officer = tokens["ketoan.bvdd"], tokens["kiemsoat.kv1"]
    account = f"3713.9.{uuid.uuid4().int % 10**6:06d}"
    status, d = api.call("POST", "/v1/dossiers", samples.open_account(pki_dir, account), token=unit)
    assert status == 201, d
    task = eventually(lambda: next((t for t in api.call("GET", "/v1/tasks?state=open&limit=200",
                                                        token=officer)[1]["items"]
                                    if t["dossier_id"] == d["dossier_id"]), None))
    # The next SendTaskSuccess is the apply-changes worker's: it dies right before it.
    rule = faults.fail("SendTaskSuccess", "crash", times=1,
                       match=lambda body: json.loads(body.get("output", "{}")).get("decision")
                       == "applied")
    status, _ = api.call("POST", f"/v1/tasks/{task['task_id']}/decision", {"decision": "accept"},
                         token=officer)
    assert status == 200
    end = eventually(lambda: (b := api.call("GET", f"/v1/dossiers/{d['dossier_id']}",
                                            token=unit)[1])["status"] == "registered" and b)
    assert rule.hits == 1
    assert end["result"]["opened_accounts"] == [account]
    _, trail = api.call("GET", f"/v1/dossiers/{d['dossier_id']}/audit", token=unit)
    assert [r["action"] for r in trail["records"]].count("applied") == 1
    eventually(lambda: _execution_status(d["dossier_id"]) == "SUCCEEDED")


def test_a_ledger_confirmation_handled_twice_posts_once(flow, stack, faults, unique):
    before = flow.balance(ACCOUNT)
    d = flow.submit(unique("CONFIRM2"), 3_000_000)
    flow.decide(flow.officer, d["dossier_id"], "accept")
    flow.decide(flow.leader, d["dossier_id"], "approve")
    # The confirmation's handler concludes the posting, then dies before answering the token:
    # SQS redelivers the confirmation, which finds the posting concluded and only answers.
    rule = faults.fail("SendTaskSuccess", "crash", times=1,
                       match=lambda body: json.loads(body.get("output", "{}")).get("decision")
                       == "posted")
    flow.reaches(d["dossier_id"], "paid")
    eventually(lambda: _execution_status(d["dossier_id"]) == "SUCCEEDED")
    assert rule.hits == 1
    assert flow.balance(ACCOUNT) == before - 3_000_000
    assert len(stack.ledger.entries(d["dossier_id"])) == 1
    assert audit_actions(flow, d["dossier_id"]).count("posted") == 1


def test_the_sweeper_leaves_fresh_markers_alone(flow, faults, unique):
    faults.fail("StartExecution", "server_error", times=4)
    d = flow.submit(unique("FRESH"))
    svc = composition.services()
    from chalicelib.services import sweeper
    counts = sweeper.sweep(repo=svc.repo, workflows=svc.workflows, config=svc.config,
                           now=clock.now())
    assert marker(d["dossier_id"]) == {"kind": "start"}, counts
    sweep_later()
    flow.task(flow.officer, d["dossier_id"])


def _execution_status(dossier_id: str) -> str:
    import boto3
    sfn = boto3.client("stepfunctions")
    arns = [m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"]]
    for arn in arns:
        execution_arn = arn.replace(":stateMachine:", ":execution:") + f":{dossier_id}"
        try:
            return sfn.describe_execution(executionArn=execution_arn)["status"]
        except sfn.exceptions.ExecutionDoesNotExist:
            continue
    return "MISSING"
