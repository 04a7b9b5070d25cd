"""Every path of the regular-spending payment workflow, executed by moto's Step Functions
interpreter and driven through the public API, as the unit and the treasury would."""
from __future__ import annotations

from datetime import timedelta

import boto3
import pytest

from chalicelib import clock
from devstack.demo import sample_content
from tests.conftest import eventually
from tests.integration.flow import Flow

pytestmark = pytest.mark.integration
ACCOUNT = "9523.1.1012345"


def execution_status(stack, dossier_id: str) -> str:
    sfn = boto3.client("stepfunctions", endpoint_url=stack.endpoint_url)
    machine = stack.env["STATE_MACHINE_ARN_PREFIX"] + "regular-spending-payment-347-2025"
    arn = machine.replace(":stateMachine:", ":execution:") + f":{dossier_id}"
    return sfn.describe_execution(executionArn=arn)["status"]


def test_accepted_and_approved_dossier_is_paid_and_debited_exactly_once(flow, stack, unique):
    before = flow.balance(ACCOUNT)
    d = flow.submit(unique("PAY"), 3_000_000)
    assert d["status"] == "under_review" and d["step"] == "review"
    assert flow.decide(flow.officer, d["dossier_id"], "accept")[1]["status"] == "awaiting_approval"
    assert flow.decide(flow.leader, d["dossier_id"], "approve")[1]["status"] == "posting"
    paid = flow.reaches(d["dossier_id"], "paid")
    assert paid["result"]["debit_advice"]["amount"] == 3_000_000
    assert flow.balance(ACCOUNT) == before - 3_000_000
    assert eventually(lambda: execution_status(stack, d["dossier_id"]) == "SUCCEEDED")
    _, trail = flow.api.call("GET", f"/v1/dossiers/{d['dossier_id']}/audit", token=flow.unit)
    assert [r["action"] for r in trail["records"]] == ["submitted", "accept", "approve", "posted"]
    assert trail["verification"]["intact"] is True


def test_supplemented_dossier_goes_back_to_review_and_a_second_request_is_refused(flow, unique):
    d = flow.submit(unique("SUP"))
    status, body = flow.decide(flow.officer, d["dossier_id"], "request_supplement",
                               "Thiếu bảng kê chứng từ thanh toán.")
    assert (status, body["status"]) == (200, "awaiting_supplement")
    flow.task(flow.unit, d["dossier_id"])
    status, body = flow.api.call("POST", f"/v1/dossiers/{d['dossier_id']}/supplement",
                                 flow.signed(sample_content(unique("SUP2"), 1_200_000)),
                                 token=flow.unit)
    assert (status, body["status"], body["amount"]) == (200, "under_review", 1_200_000)
    status, body = flow.decide(flow.officer, d["dossier_id"], "request_supplement", "lần hai")
    assert (status, body["error"]["code"]) == (409, "supplement_limit_reached")
    assert flow.dossier(d["dossier_id"])["status"] == "under_review"   # nothing half-written
    assert flow.decide(flow.officer, d["dossier_id"], "accept")[0] == 200


def test_after_its_one_supplement_the_review_task_offers_only_decisions_that_are_accepted(
        flow, unique):
    d = flow.submit(unique("SUPX"))
    first = flow.task(flow.officer, d["dossier_id"])
    assert first["allowed_decisions"] == ["accept", "request_supplement", "refuse"]
    assert flow.decide(flow.officer, d["dossier_id"], "request_supplement",
                       "Thiếu bảng kê chứng từ thanh toán.")[0] == 200
    flow.task(flow.unit, d["dossier_id"])
    status, body = flow.api.call("POST", f"/v1/dossiers/{d['dossier_id']}/supplement",
                                 flow.signed(sample_content(unique("SUPX2"), 1_200_000)),
                                 token=flow.unit)
    assert (status, body["status"]) == (200, "under_review"), body
    review = flow.task(flow.officer, d["dossier_id"])
    assert review["task_id"] != first["task_id"]
    assert review["allowed_decisions"] == ["accept", "refuse"]
    status, body = flow.api.call("POST", f"/v1/tasks/{review['task_id']}/decision",
                                 {"decision": "request_supplement", "reason": "lần hai"},
                                 token=flow.officer)
    assert (status, body["error"]["code"]) == (409, "supplement_limit_reached")
    status, body = flow.api.call("POST", f"/v1/tasks/{review['task_id']}/decision",
                                 {"decision": review["allowed_decisions"][0]}, token=flow.officer)
    assert (status, body["status"]) == (200, "awaiting_approval"), body


def test_refused_dossier_ends_with_the_reason_and_no_payment(flow, stack, unique):
    before = flow.balance(ACCOUNT)
    d = flow.submit(unique("REF"))
    status, body = flow.decide(flow.officer, d["dossier_id"], "refuse")
    assert (status, body["error"]["code"], body["error"]["field"]) == \
        (422, "reason_required", "reason")
    flow.decide(flow.officer, d["dossier_id"], "refuse", "Sai mã nội dung kinh tế.")
    refused = flow.reaches(d["dossier_id"], "refused")
    assert refused["result"]["reason"] == "Sai mã nội dung kinh tế."
    assert flow.balance(ACCOUNT) == before
    assert eventually(lambda: execution_status(stack, d["dossier_id"]) == "SUCCEEDED")


def test_leader_can_send_back_to_the_officer_who_then_resubmits_for_approval(flow, unique):
    d = flow.submit(unique("BACK"))
    flow.decide(flow.officer, d["dossier_id"], "accept")
    status, body = flow.decide(flow.leader, d["dossier_id"], "send_back", "Đối chiếu lại hợp đồng.")
    assert (status, body["status"]) == (200, "under_review")
    flow.decide(flow.officer, d["dossier_id"], "accept")
    flow.decide(flow.leader, d["dossier_id"], "approve")
    flow.reaches(d["dossier_id"], "paid")


def test_art6_cl2_pt_dd_a_deposit_payment_larger_than_the_balance_is_refused_and_the_balance_is_untouched(
        api, tokens, pki_dir, unique):
    flow = Flow(api, tokens, pki_dir, unit="ketoan.bvdd")
    account = "3713.1.1023456"   # the unit's deposit account (tài khoản tiền gửi)
    before = flow.balance(account)
    d = flow.submit(unique("BIG"), before + 1, unit_code="1023456", chapter_code="423",
                    account=account)
    flow.decide(flow.officer, d["dossier_id"], "accept")
    flow.decide(flow.leader, d["dossier_id"], "approve")
    refused = flow.reaches(d["dossier_id"], "refused")
    assert refused["result"]["code"] == "insufficient_balance"
    assert flow.balance(account) == before


def test_a_step_past_the_legal_deadline_times_out_escalates_and_stays_decidable(stack, flow,
                                                                                unique):
    """Time is simulated by moving the dossier's legal due time into the past (as if the officer
    had sat on it); the approval step then gets no time left, moto's timer fires, the Catch
    escalates, and the overdue task can still be decided."""
    d = flow.submit(unique("LATE"))
    past = (clock.now() - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    boto3.client("dynamodb", endpoint_url=stack.endpoint_url).update_item(
        TableName=stack.env["TABLE_DOSSIERS"], Key={"dossier_id": {"S": d["dossier_id"]}},
        UpdateExpression="SET due_at = :past", ExpressionAttributeValues={":past": {"S": past}})
    flow.decide(flow.officer, d["dossier_id"], "accept")

    alert = flow.task(flow.leader, d["dossier_id"], kind="escalation")
    assert alert["overdue"] is True and alert["step"] == "approval"
    task = eventually(lambda: (t := flow.task(flow.leader, d["dossier_id"]))["overdue"] and t)
    _, trail = flow.api.call("GET", f"/v1/dossiers/{d['dossier_id']}/audit", token=flow.unit)
    assert "escalated" in [r["action"] for r in trail["records"]]
    assert trail["verification"]["intact"] is True

    status, body = flow.api.call("POST", f"/v1/tasks/{task['task_id']}/decision",
                                 {"decision": "approve"}, token=flow.leader)
    assert (status, body["status"]) == (200, "posting")
    flow.reaches(d["dossier_id"], "paid")
    _, inbox = flow.api.call("GET", "/v1/tasks?state=open", token=flow.leader)
    assert alert["task_id"] not in [t["task_id"] for t in inbox["items"]]


def test_the_officer_sees_the_checklist_with_payments_already_made_under_the_contract(flow,
                                                                                    unique):
    contract = {"number": unique("HD"), "date": "2026-02-01", "value": 5_000_000}

    def submit(amount):
        content = sample_content(unique("CHK"), amount)
        content["voucher"]["contract"] = contract
        status, body = flow.api.call("POST", "/v1/dossiers", flow.signed(content), token=flow.unit)
        assert status == 201, body
        return body["dossier_id"]

    first = submit(3_000_000)
    flow.decide(flow.officer, first, "accept")
    flow.decide(flow.leader, first, "approve")
    flow.reaches(first, "paid")
    second = submit(2_500_000)   # 3,000,000 + 2,500,000 > 5,000,000
    status, checklist = flow.api.call("GET", f"/v1/dossiers/{second}/checks", token=flow.officer)
    assert status == 200
    checks = {c["code"]: c for c in checklist["checks"]}
    assert checks["within_contract"]["passed"] is False
    assert "đã thanh toán 3.000.000" in checks["within_contract"]["detail"]
    assert checks["within_balance"]["passed"] and not checklist["all_passed"]
