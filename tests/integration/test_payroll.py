"""A payroll (a voucher with its payee list, Mẫu 20) through the public API on the local stack:
checked as 347/2025 Art.6 cl.2 pt.b asks, stored beside the dossier's body (a 5,000-line list is
larger than a DynamoDB item) and still verifiable as the unit signed it."""
from __future__ import annotations

import hashlib
import json

import boto3
import pytest

from chalicelib.domain import audit
from chalicelib.domain.payee_list import MAX_PAYEE_LINES
from devstack.outbox import fetch
from devstack.payroll import payroll_content
from tests.conftest import eventually

pytestmark = pytest.mark.integration
DYNAMO_ITEM_LIMIT = 400 * 1024


def answers_consumed(stack) -> bool:
    """Nothing left on the queue the ledger answers on (confirmations, returned lines)."""
    sqs = boto3.client("sqs", endpoint_url=stack.endpoint_url, region_name=stack.env["AWS_REGION"])
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
             "ApproximateNumberOfMessagesDelayed"]
    found = sqs.get_queue_attributes(QueueUrl=stack.ledger.confirmation_queue_url,
                                     AttributeNames=names)["Attributes"]
    return not any(int(found.get(name, 0)) for name in names)


def submit(flow, content: dict) -> tuple[int, dict]:
    return flow.api.call("POST", "/v1/dossiers", flow.signed(content), token=flow.unit)


def test_art6_cl2_pt_b_payee_list_a_5000_line_payroll_is_stored_beside_its_body_and_verifiable(
        flow, stack, unique):
    content = payroll_content(unique("LUONG"), MAX_PAYEE_LINES)
    signed_list = audit.canonical(content["payee_list"])
    assert len(signed_list) > DYNAMO_ITEM_LIMIT
    status, d = submit(flow, content)
    assert status == 201, d

    detail = flow.dossier(d["dossier_id"])
    ref = detail["content"]["payee_list"]["stored"]
    assert (ref["count"], ref["total"], ref["form"]) == (MAX_PAYEE_LINES, content["voucher"]["total"],
                                                        "20")
    s3 = boto3.client("s3", endpoint_url=stack.endpoint_url, region_name=stack.env["AWS_REGION"])
    stored = s3.get_object(Bucket=stack.env["DOCUMENTS_BUCKET"], Key=ref["key"])["Body"].read()
    assert ref["sha256"] == hashlib.sha256(stored).hexdigest() and ref["size"] == len(stored)
    assert json.loads(stored) == content["payee_list"]
    dynamo = boto3.client("dynamodb", endpoint_url=stack.endpoint_url,
                          region_name=stack.env["AWS_REGION"])
    body = dynamo.get_item(TableName=stack.env["TABLE_DOSSIER_BODIES"],
                           Key={"dossier_id": {"S": d["dossier_id"]}})["Item"]
    assert len(json.dumps(body)) < DYNAMO_ITEM_LIMIT // 4

    status, check = flow.api.call("GET", f"/v1/dossiers/{d['dossier_id']}/signatures",
                                  token=flow.unit)
    assert status == 200, check
    assert [s["signature_valid"] for s in check["signatures"]] == [True, True]


def test_art6_cl2_pt_b_payee_list_lines_not_adding_up_are_refused_and_nothing_is_written(
        flow, unique):
    content = payroll_content(unique("LUONG"), 30)
    content["payee_list"]["lines"][12]["amount"] += 500
    status, body = submit(flow, content)
    assert (status, body["error"]["code"], body["error"]["field"]) == (
        422, "payee_list_total_mismatch", "content.payee_list.total")
    _, page = flow.api.call("GET", "/v1/dossiers?limit=200", token=flow.unit)
    assert content["voucher"]["number"] not in {d["voucher_number"] for d in page["items"]}


def test_art6_cl2_pt_b_payee_list_total_other_than_the_vouchers_is_refused(flow, unique):
    content = payroll_content(unique("LUONG"), 30)
    content["payee_list"]["total"] -= 1
    content["payee_list"]["lines"][0]["amount"] -= 1
    status, body = submit(flow, content)
    assert (status, body["error"]["code"]) == (422, "payee_list_voucher_mismatch")


def test_a_malformed_account_is_refused_naming_the_line(flow, unique):
    content = payroll_content(unique("LUONG"), 60)
    content["payee_list"]["lines"][41]["account"] = "ABC"
    status, body = submit(flow, content)
    assert (status, body["error"]["field"]) == (422, "content.payee_list.lines[41].account")


def test_a_list_one_line_over_the_documented_maximum_is_refused(flow, unique):
    status, body = submit(flow, payroll_content(unique("LUONG"), MAX_PAYEE_LINES + 1))
    assert (status, body["error"]["code"], body["error"]["field"]) == (
        422, "too_many_lines", "content.payee_list.lines")


def test_content_besides_the_list_must_still_fit_one_item(flow, unique):
    content = payroll_content(unique("LUONG"), 10)
    content["remarks"] = "x" * (300 * 1024)
    status, body = submit(flow, content)
    assert (status, body["error"]["code"], body["error"]["field"]) == (
        413, "payload_too_large", "content")


def test_a_stored_list_that_no_longer_matches_its_hash_fails_the_signature_check(flow, stack,
                                                                                 unique):
    status, d = submit(flow, payroll_content(unique("LUONG"), 20))
    assert status == 201, d
    ref = flow.dossier(d["dossier_id"])["content"]["payee_list"]["stored"]
    s3 = boto3.client("s3", endpoint_url=stack.endpoint_url, region_name=stack.env["AWS_REGION"])
    s3.put_object(Bucket=stack.env["DOCUMENTS_BUCKET"], Key=ref["key"], Body=b'{"lines":[]}')
    status, check = flow.api.call("GET", f"/v1/dossiers/{d['dossier_id']}/signatures",
                                  token=flow.unit)
    assert status == 200, check
    assert [s["signature_valid"] for s in check["signatures"]] == [False, False]


def test_art6_cl2_pt_b_payee_list_a_1000_person_payroll_is_paid_crediting_each_payee_once(
        flow, stack, unique):
    account = "9523.1.1012345"
    content = payroll_content(unique("LUONG"), 1_000, treasury_every=50)
    total = content["voucher"]["total"]
    before = flow.balance(account)
    status, d = submit(flow, content)
    assert status == 201, d
    assert flow.decide(flow.officer, d["dossier_id"], "accept")[0] == 200
    assert flow.decide(flow.leader, d["dossier_id"], "approve")[0] == 200
    paid = flow.reaches(d["dossier_id"], "paid", timeout=120)
    assert paid["result"]["debit_advice"]["amount"] == total
    assert flow.balance(account) == before - total

    credits = stack.ledger.credits(d["dossier_id"])
    assert [c["line"] for c in credits] == list(range(1_000))           # each payee, once
    assert sum(c["amount"] for c in credits) == total                    # exactly the voucher
    assert [(c["account"], c["amount"]) for c in credits] == \
        [(line["account"], line["amount"]) for line in content["payee_list"]["lines"]]
    advised = [c["line"] for c in credits if c["credit_advice"]]
    assert advised == [i for i, line in enumerate(content["payee_list"]["lines"])
                       if line.get("institution") == "treasury"] and len(advised) == 20
    assert len(stack.ledger.entries(d["dossier_id"])) == 1               # one debit of the unit
    status, page = flow.api.call("GET", f"/v1/dossiers/{d['dossier_id']}/payee-lines?limit=200",
                                 token=flow.unit)
    assert status == 200 and {i["status"] for i in page["items"]} == {"credited"}
    assert [i["line"] for i in page["items"] if i["credit_advice"]] == advised[:4]


def test_the_unit_sees_each_line_and_its_status_page_by_page(flow, unique):
    content = payroll_content(unique("LUONG"), 120, treasury_every=50)
    status, d = submit(flow, content)
    assert status == 201, d
    path = f"/v1/dossiers/{d['dossier_id']}/payee-lines"
    seen, cursor = [], ""
    while True:
        status, page = flow.api.call("GET", f"{path}?limit=50{cursor}", token=flow.unit)
        assert status == 200, page
        seen += page["items"]
        if not page["next_cursor"]:
            break
        cursor = f"&cursor={page['next_cursor']}"
    assert [i["line"] for i in seen] == list(range(120))
    assert {i["status"] for i in seen} == {"pending"} and not any(i["credit_advice"] for i in seen)
    assert [i["account"] for i in seen] == [line["account"] for line in content["payee_list"]["lines"]]
    status, body = flow.api.call("GET", f"{path}?cursor=120", token=flow.unit)
    assert (status, body["error"]["code"], body["error"]["field"]) == (400, "invalid_cursor", "cursor")
    plain = flow.submit(unique("PAY"))
    status, body = flow.api.call("GET", f"/v1/dossiers/{plain['dossier_id']}/payee-lines",
                                 token=flow.unit)
    assert (status, body["error"]["code"]) == (404, "payee_list_not_found")



def test_a_line_the_payees_bank_returns_is_credited_back_to_the_unit_once_even_if_told_twice(
        flow, stack, unique):
    account = "9523.1.1012345"
    content = payroll_content(unique("LUONG"), 60)
    status, d = submit(flow, content)
    assert status == 201, d
    flow.decide(flow.officer, d["dossier_id"], "accept")
    flow.decide(flow.leader, d["dossier_id"], "approve")
    flow.reaches(d["dossier_id"], "paid", timeout=120)
    after_payment = flow.balance(account)
    line = content["payee_list"]["lines"][41]

    stack.ledger.return_line(d["dossier_id"], 41)
    stack.ledger.return_line(d["dossier_id"], 41)          # the bank's message delivered twice

    def returned_records():
        _, trail = flow.api.call("GET", f"/v1/dossiers/{d['dossier_id']}/audit", token=flow.unit)
        return [r for r in trail["records"] if r["action"] == "payee_line_returned"]
    eventually(lambda: returned_records(), timeout=60)
    eventually(lambda: answers_consumed(stack), timeout=60)  # both copies handled
    (record,) = returned_records()
    assert "Dòng 42" in record["reason"] and line["account"] in record["reason"]
    assert flow.balance(account) == after_payment + line["amount"]
    _, page = flow.api.call("GET", f"/v1/dossiers/{d['dossier_id']}/payee-lines?limit=60",
                            token=flow.unit)
    statuses = [i["status"] for i in page["items"]]
    assert statuses[41] == "returned" and statuses.count("credited") == 59
    assert page["items"][41]["returned"]["code"] == "wrong_account"
    # The unit is told, once, naming the line (not the payee: e-mails carry no third party's data).
    mails = eventually(lambda: [m for m in fetch("emails", stack.endpoint_url,
                                                 contains=d["dossier_id"])
                                if "dòng 42" in m["subject"]], timeout=60)
    assert len(mails) == 1
    assert "Số tài khoản người hưởng không đúng." in mails[0]["body"]
    assert line["account"] not in mails[0]["body"] and line["name"] not in mails[0]["body"]
