"""Late dossiers reach the leader: in the inbox, and in the report of dossiers late without a
stated reason, until an officer records why."""
from __future__ import annotations

from datetime import timedelta

import boto3
import pytest

from chalicelib import clock
from chalicelib.domain.commands import Decide
from chalicelib.domain.commands import parse as command
from tests.conftest import eventually

pytestmark = pytest.mark.integration


def make_late(stack, dossier_id: str) -> None:
    """Time is simulated by moving the legal due time into the past."""
    past = (clock.now() - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    boto3.client("dynamodb", endpoint_url=stack.endpoint_url).update_item(
        TableName=stack.env["TABLE_DOSSIERS"], Key={"dossier_id": {"S": dossier_id}},
        UpdateExpression="SET due_at = :past", ExpressionAttributeValues={":past": {"S": past}})


def report(api, token, query=""):
    status, body = api.call("GET", f"/v1/reports/overdue{query}", token=token)
    assert status == 200, body
    return body


def test_an_overdue_step_lands_in_the_report_until_a_reason_is_recorded(api, stack, flow, tokens,
                                                                       unique):
    d = flow.submit(unique("LATE"))
    make_late(stack, d["dossier_id"])
    flow.decide(flow.officer, d["dossier_id"], "accept")   # approval gets no time left
    flow.task(flow.leader, d["dossier_id"], kind="escalation")

    listed = eventually(lambda: next((i for i in report(api, flow.leader)["items"]
                                      if i["dossier_id"] == d["dossier_id"]), None))
    assert (listed["step"], listed["role"], listed["delay_reason"]) == ("approval", "leader", None)
    assert listed["late_seconds"] > 0
    # the office's control officer sees the same report; another office's does not
    assert d["dossier_id"] in [i["dossier_id"] for i in report(api, flow.officer)["items"]]
    assert d["dossier_id"] not in [i["dossier_id"] for i in report(api, tokens["lanhdao.kv2"])["items"]]

    status, err = api.call("POST", f"/v1/dossiers/{d['dossier_id']}/delay-reason", {"reason": " "},
                           token=flow.leader)
    assert (status, err["error"]["code"]) == (422, "reason_required")
    status, body = api.call("POST", f"/v1/dossiers/{d['dossier_id']}/delay-reason",
                            {"reason": "Hệ thống TABMIS gián đoạn ngày 20/11."}, token=flow.leader)
    assert status == 200, body
    assert d["dossier_id"] not in [i["dossier_id"] for i in report(api, flow.leader)["items"]]
    everything = report(api, flow.leader, "?without_reason=false")["items"]
    noted = next(i for i in everything if i["dossier_id"] == d["dossier_id"])
    assert noted["delay_reason"]["reason"] == "Hệ thống TABMIS gián đoạn ngày 20/11."
    _, trail = api.call("GET", f"/v1/dossiers/{d['dossier_id']}/audit", token=flow.leader)
    assert "delay_reason" in [r["action"] for r in trail["records"]] and trail["verification"]["intact"]


def test_a_dossier_within_its_limit_needs_no_delay_reason(api, flow, unique):
    d = flow.submit(unique("ONTIME"))
    status, err = api.call("POST", f"/v1/dossiers/{d['dossier_id']}/delay-reason",
                           {"reason": "x"}, token=flow.officer)
    assert (status, err["error"]["code"]) == (409, "not_late")
    assert d["dossier_id"] not in [i["dossier_id"] for i in report(api, flow.officer)["items"]]


def test_a_regional_leader_reads_the_district_report_and_others_may_not(api, tokens):
    assert report(api, tokens["lanhdao.kv1"], "?office=KV1-CG")["office_id"] == "KV1-CG"
    status, err = api.call("GET", "/v1/reports/overdue?office=KV1-CG", token=tokens["kiemsoat.kv1"])
    assert (status, err["error"]["code"]) == (403, "out_of_scope")
    status, err = api.call("GET", "/v1/reports/overdue", token=tokens["ketoan.cva"])
    assert (status, err["error"]["code"]) == (403, "role_not_allowed")


def test_a_decision_in_the_last_minute_of_its_step_is_refused_before_anything_is_written(
        flow, tokens, unique):
    """Its token may already have timed out in Step Functions: recording the decision would
    leave the dossier decided while the workflow re-opens the step as an overdue task."""
    from chalicelib import composition
    from chalicelib.domain.errors import Conflict
    from chalicelib.services import common, tasks
    d = flow.submit(unique("LASTMIN"))
    task_id = flow.task(flow.officer, d["dossier_id"])["task_id"]
    svc = composition.services()
    due = common.parse_iso(svc.repo.task(task_id).due_at)
    with pytest.raises(Conflict) as refused:
        tasks.decide(svc.verifier.verify(tokens["kiemsoat.kv1"]), task_id,
                     command(Decide, {"decision": "accept"}),
                     repo=svc.repo, workflows=svc.workflows, now=due - timedelta(seconds=30))
    assert refused.value.code == "task_expired"
    assert svc.repo.task(task_id).state == "open"
    assert flow.dossier(d["dossier_id"])["status"] == "under_review"
    status, answer = flow.decide(flow.officer, d["dossier_id"], "accept")  # in time: taken
    assert (status, answer["status"]) == (200, "awaiting_approval")
